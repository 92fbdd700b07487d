import { describe, expect, it } from 'vitest';
import { anyOfRoles } from './format';

describe('roles in a sentence', () => {
  it('reads a person by their role and a team role as someone in it, not "a network ops"', () => {
    expect(anyOfRoles(['supervisor', 'admin', 'network_ops'])).toBe('a supervisor, an admin or someone in network operations');
  });
});
