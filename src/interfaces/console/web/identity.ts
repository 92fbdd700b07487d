import { createContext } from 'preact';
import { useContext, useEffect, useState } from 'preact/hooks';
import { ApiError, getJson } from './api';

/**
 * Who is using the console. With authentication on, `GET /auth/me` answers the signed-in
 * subject, role and permissions: pages and buttons the role may not use are not shown (the
 * server refuses them anyway). On an open server (no authentication) there is no one signed in:
 * the person types the name their actions are recorded under, kept in this browser.
 */
export interface Identity {
  /** The name actions are taken under (the signed-in subject, or the name typed). */
  readonly name: string;
  readonly role: string | null;
  /** Null on an open server: everything is shown. */
  readonly permissions: ReadonlySet<string> | null;
  /** Whether the name comes from a sign-in (it cannot be changed here). */
  readonly signedIn: boolean;
  /**
   * Whether `GET /auth/me` has answered. Until it has, nothing is shown: read as an open server
   * meanwhile, every role saw every page for ~2 s and the overview asked for approvals a care agent
   * may not read, its red 403 left on the first page they see.
   */
  readonly known: boolean;
  /** Changes the typed name (open server only). */
  setName(name: string): void;
}

const NAME_KEY = 'twinloop.name';

export const IdentityContext = createContext<Identity>({ name: 'me', role: null, permissions: null, signedIn: false, known: true, setName: () => {} });

/** The identity the console runs under. */
export const useIdentity = () => useContext(IdentityContext);

/** Whether the identity may use a permission (always on an open server; never before it is known). */
export const may = (who: Identity, permission: string) => who.known && (who.permissions === null || who.permissions.has(permission));

/** Reads `GET /auth/me` once; the App provides the answer to every page. */
export function useIdentitySource(): Identity {
  const [typed, setTyped] = useState(() => localStorage.getItem(NAME_KEY) ?? 'operator-1');
  const [me, setMe] = useState<{ subject: string; role: string; permissions: readonly string[] } | null>(null);
  const [known, setKnown] = useState(false);
  useEffect(() => {
    getJson<{ subject: string; role: string; permissions: readonly string[] }>('/auth/me')
      // 404: this server has no authentication routes (an open server); anything else is shown by the pages' own reads.
      .then(setMe, (err: unknown) => void (err instanceof ApiError))
      .finally(() => setKnown(true));
  }, []);
  const setName = (name: string) => {
    localStorage.setItem(NAME_KEY, name);
    setTyped(name);
  };
  if (me) return { name: me.subject, role: me.role, permissions: new Set(me.permissions), signedIn: true, known: true, setName };
  return { name: typed, role: null, permissions: null, signedIn: false, known, setName };
}
