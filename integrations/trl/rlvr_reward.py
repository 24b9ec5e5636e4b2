"""RLVR Lab rewards for TRL's GRPOTrainer, served by `rlvr serve-rewards` (Python standard library only).

    from rlvr_reward import make_reward_func
    reward = make_reward_func(label_column="solution", url="http://127.0.0.1:8787")
    trainer = GRPOTrainer(model=..., reward_funcs=[reward], train_dataset=ds, args=GRPOConfig(...))

`rlvr_reward` is the same function configured from the environment alone. The function is async,
so TRL runs it concurrently with its other async reward functions. It accepts plain completions
(strings) and conversational ones (lists of {"role", "content"} messages; the assistant messages'
text is scored) and reads the reference answer from the dataset column `label_column`, which
TRL passes as a keyword argument. It returns one float per completion; a completion the service
timed out on gets the service's fallback score. When `log_metric` is given (TRL >= 1.x), the
share of timed-out and failed completions is logged as rlvr/timeouts and rlvr/errors.

Settings (argument, environment, default): url RLVR_REWARD_URL http://127.0.0.1:8787; token
RLVR_REWARD_TOKEN; timeout RLVR_REWARD_TIMEOUT 60 s per attempt; retries RLVR_REWARD_RETRIES 5;
concurrency RLVR_REWARD_CONCURRENCY 16 requests at once; max_batch RLVR_REWARD_MAX_BATCH 256
items per request; label column RLVR_LABEL_COLUMN "solution". Connection errors, timeouts, 429
(honouring Retry-After) and 5xx are retried with backoff, other 4xx are not; when retries run
out a RewardServiceError is raised rather than training on made-up rewards.
"""

import asyncio
import json
import os
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

__all__ = ["make_reward_func", "rlvr_reward", "RewardServiceError"]


class RewardServiceError(RuntimeError):
    """The reward service could not score the completions (after retries, or a request it refused)."""


def _setting(value, env, default, kind):
    value = os.environ.get(env, default) if value is None else value
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise RewardServiceError("%s must be %s, got %r" % (env, kind.__name__, value)) from None


def _post(path, body, s):
    data = json.dumps(body).encode("utf-8")
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


def _text(value):
    """A completion or prompt as text: a string, or the content of a conversation's messages."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return _text(value.get("content", ""))
    if isinstance(value, list):
        assistant = [m for m in value if isinstance(m, dict) and m.get("role") == "assistant"]
        return "".join(_text(m) for m in (assistant or value))
    raise TypeError("expected a string or a list of messages, got %r" % type(value).__name__)


def _gold(label):
    if label is None or isinstance(label, (str, int, float)):
        return label
    if hasattr(label, "item"):
        return label.item()
    raise TypeError("a label must be a string or a number, got %r" % type(label).__name__)


def make_reward_func(label_column=None, url=None, token=None, timeout=None, retries=None, concurrency=None, max_batch=None, name="rlvr_reward"):
    """An async GRPOTrainer reward function scoring through the RLVR Lab reward service."""

    def settings():
        return {
            "url": _setting(url, "RLVR_REWARD_URL", "http://127.0.0.1:8787", str).rstrip("/"),
            "token": _setting(token, "RLVR_REWARD_TOKEN", "", str),
            "timeout": _setting(timeout, "RLVR_REWARD_TIMEOUT", "60", float),
            "retries": _setting(retries, "RLVR_REWARD_RETRIES", "5", int),
            "concurrency": _setting(concurrency, "RLVR_REWARD_CONCURRENCY", "16", int),
            "max_batch": _setting(max_batch, "RLVR_REWARD_MAX_BATCH", "256", int),
            "label_column": _setting(label_column, "RLVR_LABEL_COLUMN", "solution", str),
        }

    def score_all(items, s):
        chunks = [items[i : i + s["max_batch"]] for i in range(0, len(items), s["max_batch"])]

        def one(chunk):
            results = _post("/v1/rewards", {"items": chunk}, s).get("results")
            if not isinstance(results, list) or len(results) != len(chunk):
                raise RewardServiceError("the reward service answered %r results for %d completions" % (None if results is None else len(results), len(chunk)))
            return results

        if len(chunks) <= 1:
            return [r for c in chunks for r in one(c)]
        with ThreadPoolExecutor(max_workers=min(s["concurrency"], len(chunks))) as pool:
            return [r for part in pool.map(one, chunks) for r in part]

    async def reward(prompts, completions, **kwargs):
        s = settings()
        column = s["label_column"]
        if column not in kwargs:
            present = sorted(k for k in kwargs if k not in ("trainer_state", "log_extra", "log_metric", "completion_ids", "environments"))
            raise KeyError("label column %r is not among the dataset columns TRL passed (%s); set label_column" % (column, ", ".join(present) or "none"))
        labels = kwargs[column]
        if not (len(prompts) == len(completions) == len(labels)):
            raise ValueError("prompts (%d), completions (%d) and %s (%d) differ in length" % (len(prompts), len(completions), column, len(labels)))
        items = [{"prompt": _text(p), "response": _text(c), "gold": _gold(g)} for p, c, g in zip(prompts, completions, labels)]
        results = await asyncio.get_running_loop().run_in_executor(None, score_all, items, s)
        log_metric = kwargs.get("log_metric")
        if callable(log_metric) and results:
            log_metric("rlvr/timeouts", sum(bool(r["timeout"]) for r in results) / len(results))
            log_metric("rlvr/errors", sum(bool(r["error"]) for r in results) / len(results))
        return [float(r["score"]) for r in results]

    reward.__name__ = name
    reward.__qualname__ = name
    return reward


rlvr_reward = make_reward_func()
