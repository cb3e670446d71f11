"""Start localstripe (a fake Stripe API, test and demo tooling only) on 127.0.0.1.

    python scripts/localstripe_server.py --port 8420

The shop never imports localstripe; it talks to it over HTTP like to Stripe (STRIPE_API_BASE, STRIPE_JS_URL).
"""

import argparse

from aiohttp import web


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8420)
    args = parser.parse_args()
    from localstripe.server import app

    web.run_app(app, host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
