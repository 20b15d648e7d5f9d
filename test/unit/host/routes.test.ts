import { comparePrecedence, compileRoute, matchRoute } from '../../../dev/host/routes';

describe('route templates', () => {
  const match = (template: string, path: string) => matchRoute(compileRoute(template), path);

  it('binds {param} segments and decodes them', () => {
    expect(match('registrations/{id}', 'registrations/a%20b')).toEqual({ id: 'a b' });
    expect(match('registrations/{id}', 'registrations')).toBeUndefined();
    expect(match('registrations/{id}', 'registrations/a/b')).toBeUndefined();
  });

  it('treats {param?} as optional and {param=x} as a default', () => {
    expect(match('items/{name?}', 'items')).toEqual({});
    expect(match('items/{name?}', 'items/x')).toEqual({ name: 'x' });
    expect(match('items/{name=all}', 'items')).toEqual({ name: 'all' });
  });

  it.each([
    ['{id:guid}', '3f2504e0-4f89-11d3-9a0c-0305e82c3301', true],
    ['{id:guid}', 'nope', false],
    ['{n:int}', '42', true],
    ['{n:int}', '4.2', false],
    ['{n:int:min(10)}', '9', false],
    ['{n:int:min(10)}', '10', true],
    ['{n:range(1,3)}', '4', false],
    ['{s:alpha}', 'abc', true],
    ['{s:alpha}', 'ab1', false],
    ['{s:length(2,3)}', 'abcd', false],
    ['{s:maxlength(3)}', 'abc', true],
    ['{b:bool}', 'TRUE', true],
    ['{s:regex(^t-\\d+$)}', 't-12', true],
    ['{s:regex(^t-\\d+$)}', 'x-12', false],
  ])('constraint %s on %s → %s', (segment, value, ok) => {
    expect(match(`x/${segment}`, `x/${value}`) !== undefined).toBe(ok);
  });

  it('captures the rest of the path in a catch-all', () => {
    expect(match('files/{*path}', 'files/a/b/c')).toEqual({ path: 'a/b/c' });
  });

  it('orders literals before constrained before plain parameters', () => {
    const routes = ['r/{id}', 'r/{id:guid}', 'r/retry', 'r/{*rest}'].map(compileRoute);
    routes.sort(comparePrecedence);
    expect(routes.map((r) => r.template)).toEqual(['r/retry', 'r/{id:guid}', 'r/{id}', 'r/{*rest}']);
  });

  it('rejects unknown constraints when the app loads', () => {
    expect(() => compileRoute('x/{id:uuid}')).toThrow(/unknown route constraint 'uuid'/);
  });
});
