/**
 * Roles and permissions: who may see and do what. A permission names one capability an HTTP
 * route or MCP tool needs (the access table maps each route and tool to one); a role is a fixed
 * set of permissions matching the people in the brief. Role and permission names are stable:
 * keys, OIDC claims, the console and docs/security.md use them.
 */

/** Every permission, with what it lets one do. */
export const PERMISSIONS = {
  'twins:read': 'read twins, their history, scores and the omnichannel context (personal fields masked without personal:read)',
  'personal:read': 'see personal data unmasked: names, birth dates, identity documents, addresses, contact details',
  'events:write': 'send events to the intake',
  'customers:write': "register a customer and change its profile, name and contact media (TMF629; the profile as a customer event through the intake)",
  'alarms:read': 'read the network alarms sent in (TMF642)',
  'alarms:write': 'send network alarms in and update or clear them (TMF642); each starts service operations',
  'dead-letters:read': 'read parked records with their reasons',
  'decisions:make': 'ask for the next-best-action (the decision is logged; nothing is executed)',
  'actions:request': 'ask to act on a customer (the action policy still decides); accept an action on the assist card',
  'assist:use': 'receive the assist cards of a channel (the agent desktop)',
  'catalogue:read': 'read the offer catalogue',
  'catalogue:write': 'change the offer catalogue',
  'approvals:read': 'see the approvals that wait, with their evidence',
  'approvals:decide': 'approve or reject an action someone else asked for',
  'audit:read': 'read and verify the audit trail',
  'simulations:read': 'read simulation runs',
  'simulations:run': 'start and cancel simulation runs',
  'intents:read': 'read intents and their reports',
  'intents:write': 'create, accept, check and cancel intents',
  'intents:approve': "execute an intent's plan that waits for a person (not one's own intent)",
  'workflows:read': 'read workflow runs and their steps',
  'workflows:start': "start a business flow for one customer (care, an order, a new line); a flow over many needs its own permission too (a campaign's or churn prevention's campaigns:manage, service operations' alarms:write)",
  'workflows:signal': 'answer a waiting workflow (e.g. an agent decision on a care case)',
  'campaigns:manage': "start a managed campaign or a churn prevention run (directly or as an intent's plan), and pause, resume and stop a campaign (with a reason)",
  'models:read': 'read model versions, metrics and drift',
  'models:train': 'train a model and promote a version to champion',
  'policy:read': 'read the action policy and its history',
  'policy:write': 'change the action policy',
  'keys:manage': 'create, list and revoke API keys',
  'sandbox:use': "use the sandbox operator's shop front (draw applicants, stage the care example) and judge the operator against its hidden truth",
  'mcp:connect': 'connect to the MCP endpoint (each tool then needs its own permission)',
} as const;

/** A permission name. */
export type Permission = keyof typeof PERMISSIONS;
/** Every permission name, in the order above. */
export const PERMISSION_NAMES = Object.keys(PERMISSIONS) as Permission[];

/** The roles, each with who holds it. */
export const ROLES = {
  viewer: 'reads twins (masked), scores, catalogue, simulations, intents, workflows, models and the policy; changes nothing',
  care_agent: 'contact-centre and store staff: the assist desktop, next-best-action, acting on a customer in front of them',
  supervisor: 'care supervisors: what a care agent does, plus approvals (never their own requests) and the audit trail',
  marketer: 'customer-value and marketing teams: catalogue, simulations, intents and campaigns',
  network_ops: 'service operations: network events in, affected customers and their treatment out',
  data_scientist: 'data and AI teams: events in, models trained and promoted, simulations',
  admin: 'platform team: everything, including keys and the action policy',
  ai_agent: 'service accounts for LLM agents (MCP) and adapters: read, recommend, simulate, request; never approve',
} as const;

/** A role name. */
export type Role = keyof typeof ROLES;
/** Every role name, in the order above. */
export const ROLE_NAMES = Object.keys(ROLES) as Role[];

const read: Permission[] = ['twins:read', 'catalogue:read', 'models:read', 'simulations:read', 'intents:read', 'workflows:read', 'policy:read', 'alarms:read'];
const care: Permission[] = [...read, 'personal:read', 'customers:write', 'decisions:make', 'actions:request', 'assist:use', 'workflows:start', 'workflows:signal', 'mcp:connect'];

/** What each role may do. Admin holds every permission. */
export const ROLE_PERMISSIONS: Readonly<Record<Role, ReadonlySet<Permission>>> = {
  viewer: new Set(read),
  care_agent: new Set(care),
  supervisor: new Set([...care, 'approvals:read', 'approvals:decide', 'audit:read', 'intents:approve', 'campaigns:manage']),
  marketer: new Set([...read, 'decisions:make', 'actions:request', 'catalogue:write', 'simulations:run', 'intents:write', 'intents:approve', 'campaigns:manage', 'workflows:start', 'approvals:read', 'mcp:connect']),
  network_ops: new Set([...read, 'alarms:write', 'events:write', 'dead-letters:read', 'actions:request', 'workflows:start', 'workflows:signal', 'approvals:read', 'mcp:connect']),
  data_scientist: new Set([...read, 'events:write', 'dead-letters:read', 'decisions:make', 'models:train', 'simulations:run', 'mcp:connect']),
  admin: new Set(PERMISSION_NAMES),
  ai_agent: new Set([...read, 'decisions:make', 'actions:request', 'simulations:run', 'intents:write', 'approvals:read', 'mcp:connect']),
};

/**
 * The permissions whose routes and MCP tools act (move money, reach customers, change the rules,
 * start work): those are rate-limited per credential, over HTTP and MCP alike. Reading, deciding
 * without executing (`POST /decisions`, the hot path of the agent desktop) and sending events in
 * (batched, bounded by body admission) are not.
 */
export const ACTING_PERMISSIONS: ReadonlySet<Permission> = new Set<Permission>([
  'actions:request',
  'customers:write',
  'approvals:decide',
  'intents:approve',
  'intents:write',
  'workflows:start',
  'workflows:signal',
  'catalogue:write',
  'policy:write',
  'keys:manage',
  'models:train',
  'simulations:run',
  'alarms:write',
  'sandbox:use',
]);

/** True when the role holds the permission (pure). */
export function roleAllows(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].has(permission);
}

/** The permissions of a role, in table order. */
export function permissionsOf(role: Role): Permission[] {
  return PERMISSION_NAMES.filter((p) => ROLE_PERMISSIONS[role].has(p));
}

/** True for a role name. */
export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && Object.hasOwn(ROLES, value);
}

/**
 * The kind of actor a role acts as in the action policy and the audit trail: an AI agent is an
 * `agent` (advice stays advice, and it approves nothing), every other role a person (`human`).
 */
export function actorKindOf(role: Role): 'human' | 'agent' {
  return role === 'ai_agent' ? 'agent' : 'human';
}
