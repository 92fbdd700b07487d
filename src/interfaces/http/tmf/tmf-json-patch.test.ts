import { describe, expect, it } from 'vitest';
import { applyJsonPatch } from './tmf-json-patch.js';

// Cases after RFC 6902's appendix A.
describe('applyJsonPatch (RFC 6902)', () => {
  it('adds, removes and replaces object members and array elements', () => {
    expect(applyJsonPatch({ foo: 'bar' }, [{ op: 'add', path: '/baz', value: 'qux' }])).toEqual({ foo: 'bar', baz: 'qux' });
    expect(applyJsonPatch({ foo: ['bar', 'baz'] }, [{ op: 'add', path: '/foo/1', value: 'qux' }])).toEqual({ foo: ['bar', 'qux', 'baz'] });
    expect(applyJsonPatch({ foo: ['bar'] }, [{ op: 'add', path: '/foo/-', value: 'end' }])).toEqual({ foo: ['bar', 'end'] });
    expect(applyJsonPatch({ baz: 'qux', foo: 'bar' }, [{ op: 'remove', path: '/baz' }])).toEqual({ foo: 'bar' });
    expect(applyJsonPatch({ foo: ['bar', 'qux', 'baz'] }, [{ op: 'remove', path: '/foo/1' }])).toEqual({ foo: ['bar', 'baz'] });
    expect(applyJsonPatch({ baz: 'qux', foo: 'bar' }, [{ op: 'replace', path: '/baz', value: 'boo' }])).toEqual({ baz: 'boo', foo: 'bar' });
    expect(applyJsonPatch({ 'a/b': 1, 'm~n': 2 }, [{ op: 'replace', path: '/a~1b', value: 3 }, { op: 'remove', path: '/m~0n' }])).toEqual({ 'a/b': 3 });
  });

  it('moves and copies values, and leaves the target untouched', () => {
    const target = { foo: { bar: 'baz', waldo: 'fred' }, qux: { corge: 'grault' } };
    expect(applyJsonPatch(target, [{ op: 'move', from: '/foo/waldo', path: '/qux/thud' }])).toEqual({ foo: { bar: 'baz' }, qux: { corge: 'grault', thud: 'fred' } });
    expect(applyJsonPatch({ foo: ['all', 'grass', 'cows', 'eat'] }, [{ op: 'move', from: '/foo/1', path: '/foo/3' }])).toEqual({ foo: ['all', 'cows', 'eat', 'grass'] });
    expect(applyJsonPatch({ a: [1] }, [{ op: 'copy', from: '/a', path: '/b' }])).toEqual({ a: [1], b: [1] });
    expect(target.foo.waldo).toBe('fred');
  });

  it('tests values by deep equality; a failed test is a conflict and applies nothing', () => {
    const target = { baz: 'qux', foo: ['a', 2, 'c'], o: { x: 1, y: [2] } };
    expect(applyJsonPatch(target, [{ op: 'test', path: '/foo', value: ['a', 2, 'c'] }, { op: 'test', path: '/o', value: { y: [2], x: 1 } }])).toEqual(target);
    expect(() => applyJsonPatch(target, [{ op: 'replace', path: '/baz', value: 'x' }, { op: 'test', path: '/baz', value: 'qux' }])).toThrow(expect.objectContaining({ code: 'CONFLICT', message: expect.stringMatching(/^\[1\] test \/baz: found "x", not "qux"/) }));
    expect(target.baz).toBe('qux');
  });

  it('names the operation that is not one', () => {
    const bad = (ops: Parameters<typeof applyJsonPatch>[1]) => () => applyJsonPatch({ foo: 'bar', list: [1] }, ops);
    expect(bad([{ op: 'jump', path: '/foo' }])).toThrow(/^\[0\]\.op: "jump" is not a JSON Patch operation/);
    expect(bad([{ op: 'add', path: 'foo', value: 1 }])).toThrow(/^\[0\]\.path: "foo" is not a JSON Pointer/);
    expect(bad([{ op: 'replace', path: '/foo' }])).toThrow(/^\[0\]\.value: /);
    expect(bad([{ op: 'remove', path: '/nothing/here' }])).toThrow(/the resource has nothing at \/nothing\/here/);
    expect(bad([{ op: 'replace', path: '/missing', value: 1 }])).toThrow(/nothing at \/missing/);
    expect(bad([{ op: 'add', path: '/list/5', value: 1 }])).toThrow(/5 is not an index of that array/);
    expect(bad([{ op: 'move', path: '/x' }])).toThrow(/^\[0\]\.from: /);
  });
});
