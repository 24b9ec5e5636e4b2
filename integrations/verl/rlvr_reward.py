"""RLVR Lab rewards for verl, served by `rlvr serve-rewards` (Python standard library only).

verl config (newest keys; older releases use top-level `custom_reward_function.*`):

    reward.custom_reward_function.path=/path/to/integrations/verl/rlvr_reward.py
    reward.custom_reward_function.name=compute_score_async   # or compute_score
    # legacy batch reward manager: reward_model.reward_manager=batch with name=compute_score_batch

Settings come from the environment, and any of them from verl's `reward_kwargs` as well
(`reward.custom_reward_function.reward_kwargs.rlvr_url=...`):

    RLVR_REWARD_URL          http://127.0.0.1:8787     rlvr_url
    RLVR_REWARD_TOKEN        (none)                    rlvr_token
    RLVR_REWARD_TIMEOUT      60   seconds per attempt  rlvr_timeout
    RLVR_REWARD_RETRIES      5    after the first try  rlvr_retries
    RLVR_REWARD_CONCURRENCY  16   requests at once     rlvr_concurrency
    RLVR_REWARD_MAX_BATCH    256  items per request    rlvr_max_batch

Every result is a dict with "score" and the same other keys for every item (each reward's
component, "correct", "extracted", "timeout", "error"), as verl's reward loop requires. Connection
errors, timeouts, 429 (honouring Retry-After) and 5xx are retried with backoff; other 4xx are
not (they would fail again). When the retries run out a RewardServiceError is raised: a reward
that silently turns into 0 is worse than a stopped run.
"""

import asyncio
import json
import os
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

__all__ = ["compute_score", "compute_score_async", "compute_score_batch", "RewardServiceError"]


class RewardServiceError(RuntimeError):
    """The reward service could not score the items (after retries, or a request it refused)."""


_SETTINGS = {
    "url": ("RLVR_REWARD_URL", "http://127.0.0.1:8787", str),
    "token": ("RLVR_REWARD_TOKEN", "", str),
    "timeout": ("RLVR_REWARD_TIMEOUT", "60", float),
    "retries": ("RLVR_REWARD_RETRIES", "5", int),
    "concurrency": ("RLVR_REWARD_CONCURRENCY", "16", int),
    "max_batch": ("RLVR_REWARD_MAX_BATCH", "256", int),
}


def _settings(kwargs):
    out = {}
    for key, (env, default, kind) in _SETTINGS.items():
        value = kwargs.get("rlvr_" + key, os.environ.get(env, default))
        try:
            out[key] = kind(value)
        except (TypeError, ValueError):
            raise RewardServiceError("%s / rlvr_%s must be %s, got %r" % (env, key, kind.__name__, value)) from None
    out["url"] = out["url"].rstrip("/")
    return out


def _jsonable(value):
    """numpy scalars and arrays (verl's non-tensor batch) as plain JSON values."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "item"):
        return value.item()
    raise TypeError("cannot send %r to the reward service" % type(value).__name__)


def _post(path, body, s):
    data = json.dumps(body, default=_jsonable).encode("utf-8")
    headers = {"content-type": "application/json"}
    if s["token"]:
        headers["authorization"] = "Bearer " + s["token"]
    last = None
    for attempt in range(s["retries"] + 1):
        wait = min(0.5 * 2**attempt, 10.0)
        try:
            req = urllib.request.Request(s["url"] + path, data=data, headers=headers, method="POST")
            with urllib.request.urlopen(req, timeout=s["timeout"]) as res:
                return json.load(res)
        except urllib.error.HTTPError as err:
            detail = err.read().decode("utf-8", "replace")
            try:
                detail = json.loads(detail)["error"]["message"]
            except (ValueError, KeyError, TypeError):
                pass
            last = "HTTP %d: %s" % (err.code, detail)
            if err.code != 429 and err.code < 500:
                raise RewardServiceError("%s%s refused the request: %s" % (s["url"], path, last)) from None
            retry_after = err.headers.get("retry-after")
            if retry_after and retry_after.isdigit():
                wait = float(retry_after)
        except (urllib.error.URLError, OSError) as err:  # refused, reset, timed out
            last = "%s: %s" % (type(err).__name__, getattr(err, "reason", err))
        if attempt < s["retries"]:
            time.sleep(wait)
    raise RewardServiceError("%s%s failed %d times; last: %s" % (s["url"], path, s["retries"] + 1, last))


def _score_chunk(chunk, s):
    answer = _post("/score", chunk, s)
    results = answer.get("results")
    if not isinstance(results, list) or len(results) != len(chunk["solution_strs"]):
        raise RewardServiceError("the reward service answered %r results for %d items" % (None if results is None else len(results), len(chunk["solution_strs"])))
    return results


def compute_score_batch(data_sources, solution_strs, ground_truths, extra_infos=None, **kwargs):
    """verl's batch reward function: one result dict per item, in order."""
    s = _settings(kwargs)
    n = len(solution_strs)
    extra_infos = [None] * n if extra_infos is None else list(extra_infos)
    lengths = {"data_sources": len(data_sources), "solution_strs": n, "ground_truths": len(ground_truths), "extra_infos": len(extra_infos)}
    if len(set(lengths.values())) != 1:
        raise ValueError("list lengths differ: %s" % lengths)
    chunks = [
        {
            "data_sources": list(data_sources[i : i + s["max_batch"]]),
            "solution_strs": list(solution_strs[i : i + s["max_batch"]]),
            "ground_truths": list(ground_truths[i : i + s["max_batch"]]),
            "extra_infos": extra_infos[i : i + s["max_batch"]],
        }
        for i in range(0, n, s["max_batch"])
    ]
    if len(chunks) <= 1:
        return [r for c in chunks for r in _score_chunk(c, s)]
    with ThreadPoolExecutor(max_workers=min(s["concurrency"], len(chunks))) as pool:
        return [r for part in pool.map(lambda c: _score_chunk(c, s), chunks) for r in part]


def compute_score(data_source, solution_str, ground_truth, extra_info=None, **kwargs):
    """verl's custom reward function (one sample): {"score": float, ...the same keys for every item}."""
    return compute_score_batch([data_source], [solution_str], [ground_truth], [extra_info], **kwargs)[0]


_executors = {}


async def compute_score_async(data_source, solution_str, ground_truth, extra_info=None, **kwargs):
    """The async variant (verl awaits coroutine functions): at most rlvr_concurrency requests in flight per event loop."""
    loop = asyncio.get_running_loop()
    pool = _executors.get(loop)
    if pool is None:
        # Its own threads, sized to the concurrency: the loop's default executor may be smaller or busy.
        pool = _executors[loop] = ThreadPoolExecutor(max_workers=_settings(kwargs)["concurrency"], thread_name_prefix="rlvr-reward")
    return await loop.run_in_executor(pool, lambda: compute_score(data_source, solution_str, ground_truth, extra_info, **kwargs))
