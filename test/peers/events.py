"""Print Celery events as JSON lines (type, uuid, hostname) using Celery's own EventReceiver.

usage: events.py <seconds>    prints "ready" once listening
"""
import json
import sys
import threading

from peer_app import app


def main():
    seconds = float(sys.argv[1])

    def on_event(event):
        print(json.dumps({k: event.get(k) for k in ('type', 'uuid', 'hostname', 'sw_ident', 'labels')}), flush=True)

    with app.connection() as conn:
        recv = app.events.Receiver(conn, handlers={'*': on_event})
        threading.Timer(seconds, lambda: setattr(recv, 'should_stop', True)).start()
        it = recv.itercapture(limit=None, timeout=None, wakeup=False)
        next(it)  # the consumer is declared and subscribed
        print('ready', flush=True)
        for _ in it:
            pass


if __name__ == '__main__':
    main()
