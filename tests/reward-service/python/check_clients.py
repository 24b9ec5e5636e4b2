"""Drives the verl and TRL clients against a live `rlvr serve-rewards` (started by clients.test.ts).

Run with Debian's /usr/bin/python3: the clients must need nothing beyond the standard library.
Expected values are hand-computed for the service's config: accuracy x 1 + boxed_format x 0.25.
"""

import asyncio
import importlib.util
import os
import sys
import time

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "..", "integrations")


def load(name, path):
    spec = importlib.util.spec_from_file_location(name, os.path.join(ROOT, path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


verl = load("verl_rlvr_reward", "verl/rlvr_reward.py")
trl = load("trl_rlvr_reward", "trl/rlvr_reward.py")
KEYS = ["score", "accuracy", "boxed_format", "correct", "extracted", "timeout", "error"]
checks = 0


def check(cond, what):
    global checks
    checks += 1
    if not cond:
        sys.exit("FAILED: " + what)


def raises(fn, error, pattern, what):
    try:
        fn()
    except error as err:
        check(pattern in str(err), "%s: %r lacks %r" % (what, str(err), pattern))
        return
    check(False, what + ": no " + error.__name__)


# verl: the per-sample function, with verl's keyword call
r = verl.compute_score(data_source="lighteval/MATH", solution_str="so \\boxed{\\frac{3}{4}}", ground_truth="0.75", extra_info={"index": 3})
check(list(r) == KEYS, "verl keys %r" % list(r))
check(r["score"] == 1.25 and r["accuracy"] == 1 and r["correct"] is True and r["extracted"] == "\\frac{3}{4}", "verl score %r" % r)
r = verl.compute_score("openai/gsm8k", "The answer is 12.", "13")
check(r["score"] == 0 and r["correct"] is False and r["timeout"] is False and r["error"] == "", "verl wrong %r" % r)

# verl: the async variant, many at once
async def many():
    return await asyncio.gather(*[verl.compute_score_async("d", "\\boxed{%d}" % i, str(i if i % 2 else i + 1)) for i in range(20)])

rs = asyncio.run(many())
check([x["score"] for x in rs] == [1.25 if i % 2 else 0.25 for i in range(20)], "verl async %r" % [x["score"] for x in rs])

# verl: the batch function, split into requests of 3 items sent 4 at a time
n = 11
rs = verl.compute_score_batch(["d"] * n, ["\\boxed{%d}" % i for i in range(n)], [str(i) for i in range(n)], [None] * n, rlvr_max_batch=3, rlvr_concurrency=4)
check(len(rs) == n and all(x["score"] == 1.25 for x in rs) and all(list(x) == KEYS for x in rs), "verl batch %r" % rs)
raises(lambda: verl.compute_score_batch(["d"], ["a", "b"], ["1", "2"], None), ValueError, "list lengths differ", "verl ragged")

# failures: refused requests are not retried, dead servers are, with the configured count
raises(lambda: verl.compute_score("d", "x", "1", rlvr_token="wrong"), verl.RewardServiceError, "HTTP 401: wrong bearer token", "verl wrong token")
t = time.monotonic()
raises(lambda: verl.compute_score("d", "x", "1", rlvr_url="http://127.0.0.1:9", rlvr_retries=2), verl.RewardServiceError, "failed 3 times", "verl dead server")
check(time.monotonic() - t >= 1.5, "backoff 0.5 s + 1 s between the 3 attempts")
raises(lambda: verl.compute_score("d", "x", [1, 2]), verl.RewardServiceError, "HTTP 400", "verl list gold")
raises(lambda: verl.compute_score("d", "x", "1", rlvr_timeout="soon"), verl.RewardServiceError, "RLVR_REWARD_TIMEOUT / rlvr_timeout must be float", "verl bad setting")

# TRL: plain completions, label from a named column, the keyword arguments GRPOTrainer passes
logged = {}
fn = trl.make_reward_func(label_column="answer", max_batch=2, concurrency=3, name="math_acc")
check(fn.__name__ == "math_acc" and asyncio.iscoroutinefunction(fn), "trl function shape")
scores = asyncio.run(fn(prompts=["p1", "p2", "p3"], completions=["\\boxed{1}", "\\boxed{5}", "no answer"], completion_ids=[[1], [2], [3]], answer=["1", "2", "3"], other=[0, 0, 0], trainer_state=None, log_metric=lambda k, v: logged.__setitem__(k, v), log_extra=lambda c, v: None))
check(scores == [1.25, 0.25, 0.0], "trl plain %r" % scores)
check(logged == {"rlvr/timeouts": 0.0, "rlvr/errors": 0.0}, "trl log_metric %r" % logged)

# TRL: conversational prompts and completions
conv = asyncio.run(trl.rlvr_reward(
    prompts=[[{"role": "user", "content": "1+1?"}], [{"role": "user", "content": "2+2?"}]],
    completions=[[{"role": "assistant", "content": "It is \\boxed{2}."}], [{"role": "assistant", "content": "It is \\boxed{5}."}]],
    solution=["2", "4"],
))
check(conv == [1.25, 0.25], "trl conversational %r" % conv)
raises(lambda: asyncio.run(trl.rlvr_reward(prompts=["p"], completions=["x"], answer=["1"])), KeyError, "label column 'solution' is not among the dataset columns TRL passed (answer)", "trl missing column")
raises(lambda: asyncio.run(trl.make_reward_func(token="wrong")(prompts=["p"], completions=["x"], solution=["1"])), trl.RewardServiceError, "HTTP 401", "trl wrong token")
print("python clients: %d checks passed" % checks)
