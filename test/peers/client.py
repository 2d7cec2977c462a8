"""Send one task with Python Celery and print the outcome of AsyncResult.get() as JSON.

usage: client.py <task name> <json args> <json kwargs> [queue] [timeout]
prints {"id", "value"} or {"id", "exc_type", "exc_module", "message"}
"""
import json
import sys

from peer_app import app


def main():
    name, args, kwargs = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
    queue = sys.argv[4] if len(sys.argv) > 4 else 'default'
    timeout = float(sys.argv[5]) if len(sys.argv) > 5 else 30
    result = app.send_task(name, args=args, kwargs=kwargs, queue=queue)
    try:
        value = result.get(timeout=timeout)
        out = {'id': result.id, 'value': value}
    except Exception as exc:  # report the re-raised type: that is what the test checks
        out = {'id': result.id, 'exc_type': type(exc).__name__, 'exc_module': type(exc).__module__, 'message': str(exc)}
    print(json.dumps(out), flush=True)


if __name__ == '__main__':
    main()
