"""The client's schedules and clean-up calls over HTTP: the bodies they send and what they print.

The service side (validation, the scheduler, the clean-up) is tested against the real stack in
test/worker/integration/schedules and .../retention.
"""
import io

import pytest

from fake_api import CannedApi
from nbgrid.client import Om

SCHEDULE = {'id': '5e0c9a12', 'job': 'main', 'cron': '0 2 * * *', 'tz': 'Europe/Berlin',
            'map': {'range': {'start': 0, 'stop': 3, 'step': 1}, 'require': 'gpu'}, 'catchup': 'latest',
            'keep_last': 7, 'paused': False, 'created': '2026-12-01T00:00:00.000Z',
            'next_run': '2026-12-02T01:00:00.000Z', 'last_run': None}
REPORT = {'dry_run': True, 'groups': [{'task_group': 'c05ecd89', 'job': 'main', 'created': '2026-10-01T00:00:00Z',
                                       'tasks': 10, 'results': 10, 'bytes': 5000}],
          'skipped': [{'task_group': 'aa', 'job': 'main', 'reason': 'queued'}], 'tasks': 10, 'results': 10,
          'bytes': 5000, 'blobs': 10, 'blob_bytes': 20000, 'revoked': 0}


@pytest.fixture
def api():
    with CannedApi() as a:
        yield a


def client(api, out):
    o = Om(url=api.url, token='t')
    o.runtime._out = out
    return o


def test_job_schedule_sends_the_map_body_and_the_schedule_options(api):
    api.routes[('POST', '/api/schedules')] = (201, SCHEDULE)
    out = io.StringIO()
    job = client(api, out).runtime.require('gpu').job('main')
    answer = job.schedule('0 2 * * *', range(3), tz='Europe/Berlin', keep_last=7, then='report')
    assert answer['id'] == '5e0c9a12'
    assert api.requests[-1]['body'] == {
        'job': 'main', 'cron': '0 2 * * *', 'tz': 'Europe/Berlin', 'keep_last': 7,
        'map': {'range': {'start': 0, 'stop': 3, 'step': 1}, 'require': 'gpu', 'then': 'report'}}
    assert 'schedule 5e0c9a12: 0 2 * * * (Europe/Berlin), next run 2026-12-02T01:00:00.000Z' in out.getvalue()


def test_schedules_list_pause_resume_delete_run_now(api):
    api.routes[('GET', '/api/schedules')] = (200, {'schedules': [SCHEDULE]})
    api.routes[('POST', '/api/schedules/5e0c9a12/pause')] = (200, dict(SCHEDULE, paused=True, next_run=None))
    api.routes[('POST', '/api/schedules/5e0c9a12/resume')] = (200, SCHEDULE)
    api.routes[('DELETE', '/api/schedules/5e0c9a12')] = (204, None)
    api.routes[('POST', '/api/schedules/5e0c9a12/run')] = (201, {'occurrence': 'x', 'task_group': 'abcd0123',
                                                                 'state': 'submitted', 'trigger': 'manual'})
    schedules = client(api, io.StringIO()).runtime.schedules(job='main')
    assert [s['id'] for s in schedules] == ['5e0c9a12']
    assert api.requests[-1]['path'] == '/api/schedules?job=main'
    assert schedules.pause('5e0c9a12')['paused'] is True
    assert schedules.resume('5e0c9a12')['paused'] is False
    assert schedules.run_now('5e0c9a12')['task_group'] == 'abcd0123'
    assert schedules.delete('5e0c9a12') is None
    assert [r['method'] for r in api.requests[-4:]] == ['POST', 'POST', 'POST', 'DELETE']


def test_cleanup_and_job_delete_send_their_selectors_and_print_what_went(api):
    api.routes[('POST', '/api/gc')] = (200, REPORT)
    out = io.StringIO()
    om = client(api, out)
    report = om.runtime.cleanup(older_than='30d', dry_run=True)
    assert report == REPORT
    assert api.requests[-1]['body'] == {'older_than': '30d', 'dry_run': True}
    assert 'would remove 1 groups, 10 tasks, 10 blobs, 25000 bytes' in out.getvalue()
    assert 'kept 1 groups with queued or running tasks (cancel them first)' in out.getvalue()
    om.runtime.job('main').delete(task_group='c05ecd89')
    assert api.requests[-1]['body'] == {'job': 'main', 'task_group': 'c05ecd89', 'dry_run': False}


def test_cleanup_without_a_selector_says_what_to_give(api):
    with pytest.raises(ValueError, match="older_than='30d'"):
        client(api, io.StringIO()).runtime.cleanup()
    with pytest.raises(ValueError, match='task_group'):
        client(api, io.StringIO()).runtime.job('main').delete()
