"""The loopback OpenAI-format provider, in its own process.

`python -m bench.provider` starts tests.fakes.openai.OpenAIFake and prints
`PORT <n>` on stdout. The reply's shape is read from the requested model name,
so one provider process serves every scenario:

    d<deltas>-i<interval in ms>     e.g. d64-i20: 64 deltas 20 ms apart
                                    d2000-i0: 2000 deltas as fast as it can

Every delta is one 5-character token ("w042 "), so a client counts tokens by length.
"""
import argparse
import re
import sys
import time

TOKEN_CHARS = 5
_MODEL = re.compile(r"^d(\d+)-i(\d+(?:\.\d+)?)$")


def model_name(deltas: int, interval_ms: float) -> str:
    return f"d{deltas}-i{interval_ms:g}"


def token(i: int) -> str:
    return f"w{i % 1000:03d} "


def reply_shape(model: str) -> tuple[int, float]:
    match = _MODEL.match(model or "")
    if not match:
        return 8, 0.02
    return int(match.group(1)), float(match.group(2)) / 1000


def make_fake():
    from tests.fakes.openai import OpenAIFake
    from tests.fakes.script import Reply
    from tests.fakes.server import StreamResponse

    class ShapedFake(OpenAIFake):
        def chat_response(self, request):
            body = request.body or {}
            if not body.get("stream"):
                return super().chat_response(request)
            deltas, interval = reply_shape(body.get("model", ""))
            reply = Reply(text=[token(i) for i in range(deltas)], delay=interval, usage=(12, deltas))
            include_usage = (body.get("stream_options") or {}).get("include_usage", False)
            return StreamResponse(self.sse_events(reply, body.get("model", ""), include_usage),
                                  "text/event-stream", reply)

        def handle(self, request):
            self.requests.clear()  # do not keep every request of a long benchmark
            return super().handle(request)

    return ShapedFake()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.parse_args(argv)
    fake = make_fake()
    print(f"PORT {fake.port}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        fake.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
