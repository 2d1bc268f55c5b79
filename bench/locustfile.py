"""The load scenario of `make load` (bench/load.py starts the server and runs this file with locust).

Three kinds of user, as on a live hub: people browsing and filtering the registry, the network and the analyses
(half of them signed in as researchers, half anonymous); analysts and dashboards reading the API with their own
token; and coordinators entering data, who now and then import a small people file into their partnership.

The server is the production one behind what would be a TLS proxy: every request says X-Forwarded-Proto: https,
and the session cookies (marked Secure) are sent over the loopback connection as the proxy would send them.

LOAD_ACCOUNTS names a JSON file written by bench/load.py: {"researchers": [[user, password], ...],
"tokens": [...], "coordinators": [[user, password, partnership slug], ...], "slugs": [...], "countries": [...],
"pages": {listing: number of pages}}: slugs and pages are those every reader may open.
Each request is counted under "page", "api" or "import" (its name starts with it).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import uuid
from typing import Any

from locust import HttpUser, between, events, task

ACCOUNTS: dict[str, Any] = json.loads(open(os.environ["LOAD_ACCOUNTS"]).read())  # noqa: SIM115
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_researchers = itertools.cycle(ACCOUNTS["researchers"])
_tokens = itertools.cycle(ACCOUNTS["tokens"])
_coordinators = itertools.cycle(ACCOUNTS["coordinators"])
SAMPLES: list[tuple[str, float, bool]] = []  # (name, milliseconds, failed), written to LOAD_SAMPLES at the end


@events.request.add_listener
def _sample(name: str, response_time: float, exception: Any, **kwargs: Any) -> None:
    SAMPLES.append((name, response_time, exception is not None))


@events.quitting.add_listener
def _write(environment: Any, **kwargs: Any) -> None:
    with open(os.environ["LOAD_SAMPLES"], "w") as out:
        json.dump(SAMPLES, out)


class _Client(HttpUser):
    abstract = True
    wait_time = between(2, 8)  # a person reads a page or a script processes an answer: 5 s on average

    def on_start(self) -> None:
        self.client.headers["X-Forwarded-Proto"] = "https"
        self.origin = (self.host or "").replace("http://", "https://", 1)  # what the browser behind the proxy sends

    def get(self, url: str, name: str) -> None:
        with self.client.get(url, name=name, catch_response=True, allow_redirects=False) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code} on {url}")

    def log_in(self, username: str, password: str) -> None:
        page = self.client.get("/accounts/login/", name="login")
        self.behind_tls()
        token = CSRF.search(page.text)
        done = self.client.post(
            "/accounts/login/",
            {"username": username, "password": password, "csrfmiddlewaretoken": token.group(1) if token else ""},
            headers={"Origin": self.origin, "Referer": f"{self.origin}/accounts/login/"},
            name="login",
            allow_redirects=False,
        )
        if done.status_code != 302:
            raise RuntimeError(f"log-in of {username} failed ({done.status_code})")
        self.behind_tls()

    def behind_tls(self) -> None:
        """The proxy's side of the connection is HTTPS: the Secure cookies go along over the loopback."""
        for cookie in self.client.cookies:
            cookie.secure = False

    def slug(self) -> str:
        return str(random.choice(ACCOUNTS["slugs"]))  # noqa: S311

    @staticmethod
    def page(listing: str) -> int:
        return random.randint(1, ACCOUNTS["pages"][listing])  # noqa: S311


class Browser(_Client):
    weight = 5

    def on_start(self) -> None:
        super().on_start()
        if random.random() < 0.5:  # noqa: S311
            self.log_in(*next(_researchers))

    @task(3)
    def dashboard(self) -> None:
        self.get("/", "page: dashboard")

    @task(4)
    def registry(self) -> None:
        self.get(f"/partnerships/?page={self.page('partnerships')}", "page: partnership list")  # noqa: S311

    @task(4)
    def filtered(self) -> None:
        country = random.choice(ACCOUNTS["countries"])  # noqa: S311
        self.get(f"/partnerships/?country={country}", "page: partnership list, one country")

    @task(4)
    def partnership(self) -> None:
        self.get(f"/partnerships/{self.slug()}/", "page: partnership")

    @task(2)
    def network(self) -> None:
        self.get(f"/partnerships/{self.slug()}/mobility/", "page: partnership mobility")

    @task(2)
    def activities(self) -> None:
        self.get(f"/activities/?page={self.page('activities')}", "page: activity list")  # noqa: S311

    @task(1)
    def impact(self) -> None:
        self.get("/analytics/impact/", "page: collective impact")


class ApiReader(_Client):
    weight = 4

    def on_start(self) -> None:
        super().on_start()
        self.client.headers["Authorization"] = f"Token {next(_tokens)}"

    @task(4)
    def partnerships(self) -> None:
        self.get(f"/api/v1/partnerships/?page={self.page('api_partnerships')}", "api: partnerships")  # noqa: S311

    @task(4)
    def partnership(self) -> None:
        self.get(f"/api/v1/partnerships/{self.slug()}/", "api: partnership")

    @task(4)
    def stays(self) -> None:
        self.get(f"/api/v1/stays/?partnership={self.slug()}", "api: stays of a partnership")

    @task(2)
    def activities(self) -> None:
        self.get(f"/api/v1/activities/?partnership={self.slug()}", "api: activities of a partnership")

    @task(2)
    def institutions(self) -> None:
        self.get(f"/api/v1/institutions/?page={self.page('api_institutions')}", "api: institutions")  # noqa: S311

    @task(1)
    def impact(self) -> None:
        self.get("/api/v1/analytics/impact/", "api: collective impact")


class Coordinator(_Client):
    weight = 1
    people = 20

    def on_start(self) -> None:
        super().on_start()
        self.username, password, self.own = next(_coordinators)
        self.log_in(self.username, password)

    @task(4)
    def own_partnership(self) -> None:
        self.get(f"/partnerships/{self.own}/", "page: own partnership")

    @task(2)
    def own_stays(self) -> None:
        self.get(f"/partnerships/{self.own}/mobility/", "page: own partnership mobility")

    @task(1)
    def import_people(self) -> None:
        form = self.client.get("/import/", name="import: form")
        self.behind_tls()
        token = CSRF.search(form.text)
        batch = uuid.uuid4().hex[:10]
        rows = [f"LOAD-{batch}-{i},Load,Tester {i},,2221,female,,," for i in range(self.people)]
        body = "external_id,given_name,family_name,email,cadre_isco,sex,home_institution,grade,research_consent\n"
        body += "\n".join(rows) + "\n"
        with self.client.post(
            "/import/",
            data={
                "kind": "people",
                "partnership": self.own,
                "role": "volunteer",
                "csrfmiddlewaretoken": token.group(1) if token else "",
            },
            files={"file": (f"people-{batch}.csv", body.encode(), "text/csv")},
            headers={"Origin": self.origin, "Referer": f"{self.origin}/import/", "HX-Request": "true"},
            name="import: 20 people",
            catch_response=True,
        ) as response:
            if response.status_code != 200 or "Not imported" in response.text:
                response.failure(f"{response.status_code}: {response.text[:200]}")
