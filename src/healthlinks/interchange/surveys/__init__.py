"""Survey files in and out: KoboToolbox/ODK response exports and the XLSForm command line."""
