from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "healthlinks.accounts"
    label = "accounts"
    verbose_name = "Accounts"
