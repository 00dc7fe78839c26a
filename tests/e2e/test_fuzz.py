"""Both OpenAPI documents fuzzed with schemathesis against running services (issue 10, item 9): whatever a client
sends, valid or not, the answer is never a server error (>= 500).

Requests are generated from each document's operations (conforming and non-conforming data alike), signed in as a
real user. The seed is printed; ``PARLEY_FUZZ_SEED=<seed>`` replays a run, ``PARLEY_FUZZ_EXAMPLES`` sets its size.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from tests.support import Infra, Stack

# Requests per document: two documents make at least 2,000 requests in all.
EXAMPLES = int(os.environ.get("PARLEY_FUZZ_EXAMPLES", "1000"))


@pytest.fixture(scope="module")
def fuzz_stack(infra: Infra) -> Iterator[Stack]:
    """A stack of its own: thousands of odd requests (and failed logins) must not disturb other tests."""
    stack = Stack(
        infra,
        infra.nats,
        extra_env={"PARLEY_MESSAGE_RATE": "1000", "PARLEY_MESSAGE_BURST": "1000", "PARLEY_LOG_LEVEL": "WARNING"},
    ).start()
    try:
        yield stack
    finally:
        stack.stop()


def _token(stack: Stack) -> str:
    body = {"name": "Fuzz", "email": f"fuzz-{random.randrange(10**9)}@example.com", "password": "correct horse battery"}
    response = httpx.post(f"{stack.url('command')}/api/auth/register", json=body, timeout=10)
    assert response.status_code == 201, response.text
    token: str = response.json()["access_token"]
    return token


# Generating the cases is most of the time (about a minute per document on an idle machine, several under load).
@pytest.mark.timeout(900)
@pytest.mark.parametrize("service", ["command", "query"])
def test_no_generated_request_gets_a_server_error(
    fuzz_stack: Stack, service: str, capsys: pytest.CaptureFixture[str]
) -> None:
    base_url = fuzz_stack.url(service)
    headers = {"Authorization": f"Bearer {_token(fuzz_stack)}"}
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    strategy = st.one_of(
        [op.as_strategy(mode, headers=headers) for op in operations for mode in GenerationMode]  # type: ignore[misc]
    )
    run_seed = int(os.environ.get("PARLEY_FUZZ_SEED") or random.randrange(2**32))
    with capsys.disabled():  # the seed shows in every run's output, passing or not
        print(f"\nfuzzing the {service} API: {len(operations)} operations, seed {run_seed} (PARLEY_FUZZ_SEED)")
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    counting = threading.Lock()
    started = time.monotonic()

    def call(case: Any) -> None:
        response = case.call(base_url=base_url, headers=headers, timeout=30)
        with counting:
            statuses[response.status_code] += 1
        if response.status_code >= 500:
            failures.append(f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:200]}")

    @seed(run_seed)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=False,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: Any) -> None:
        # Sent while the next cases are generated: generating and answering each take about half the time.
        calls.append(pool.submit(call, case))

    calls: list[Future[None]] = []
    with ThreadPoolExecutor(max_workers=4) as pool:
        run()
        for done in calls:
            done.result()
    total = sum(statuses.values())
    answers = dict(sorted(statuses.items()))
    with capsys.disabled():
        print(f"{total} requests in {time.monotonic() - started:.1f} s, seed {run_seed}: {answers}")
    assert total >= EXAMPLES
    assert not failures, f"seed {run_seed}: " + "\n".join(failures[:20])
