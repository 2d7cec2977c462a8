import { AUTH, makeApp } from './helpers';

describe('/api/openapi.json', () => {
  it('lists every route with its methods, generated from the route schemas', async () => {
    const t = makeApp();
    const res = await t.app.inject({ url: '/api/openapi.json', headers: AUTH });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.info.version).toBe('0.1.0-test');
    const routes = Object.entries(doc.paths as Record<string, Record<string, unknown>>)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    expect(routes).toEqual(
      [
        'GET /api/notebooks',
        'PUT /api/notebooks/{*}',
        'GET /api/notebooks/{*}',
        'DELETE /api/notebooks/{*}',
        'POST /api/jobs/{name}/map',
        'POST /api/jobs/{name}/restart',
        'POST /api/jobs/{name}/cancel',
        'GET /api/jobs/{name}/status',
        'GET /api/jobs/{name}/tasks',
        'GET /api/jobs/{name}/results',
        'GET /api/jobs/{name}/groups',
        'GET /api/workers',
        'GET /api/health',
        'GET /api/events',
        'GET /api/openapi.json',
        'GET /api/jobs/{name}/progress',
        'GET /api/jobs/{name}/tasks/{task}/partial',
        'GET /api/jobs/{name}/parameters',
        'POST /api/schedules',
        'GET /api/schedules',
        'GET /api/schedules/{id}',
        'POST /api/schedules/{id}/pause',
        'POST /api/schedules/{id}/resume',
        'DELETE /api/schedules/{id}',
        'POST /api/schedules/{id}/run',
        'POST /api/gc'
      ].sort()
    );
    const map = doc.paths['/api/jobs/{name}/map'].post;
    expect(Object.keys(map.requestBody.content['application/json'].schema.properties).sort()).toEqual(
      ['cell_timeout', 'notify', 'params', 'range', 'require', 'grid', 'mode', 'cache', 'force', 'then', 'origin'].sort()
    );
    expect(map.responses['201']).toBeDefined();
    expect(doc.paths['/api/health'].get.security).toEqual([]);
    expect(doc.components.securitySchemes.token).toMatchObject({ type: 'apiKey', in: 'header', name: 'Authorization' });
    await t.app.close();
  });
});
