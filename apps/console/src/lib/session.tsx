'use client';
// Who is signed in, for every page: their name, role and permissions (GET /auth/session),
// so pages offer only what the user may do and say what is missing where they do not.
import { controlApi, type Permission, type Whoami } from '@loadline/api/http';
import { usePathname } from 'next/navigation';
import { createContext, useContext, useEffect, useMemo } from 'react';
import { type ApiError, rememberCsrf, useApi } from './api';
import { missing } from './permissions';

export interface Session {
  /** undefined while loading, and on the sign-in page */
  whoami: Whoami | undefined;
  error: ApiError | undefined;
  /**
   * Why the user may not do `permission` (in `environment`, for an environment
   * permission), e.g. "needs run.launch in staging"; undefined when they may.
   */
  needs: (permission: Permission, environment?: string) => string | undefined;
}

const SessionContext = createContext<Session>({
  whoami: undefined,
  error: undefined,
  needs: (permission, environment) => missing(undefined, permission, environment),
});

export function SessionProvider({ children }: { children: React.ReactNode }) {
  // The sign-in page asks nobody who they are: its answer would be "sign in".
  const signingIn = usePathname() === '/login';
  const loaded = useApi(controlApi.whoami, signingIn ? null : {});
  const whoami = signingIn ? undefined : loaded.data;
  useEffect(() => {
    if (whoami) rememberCsrf(whoami.csrfToken);
  }, [whoami]);
  const session = useMemo<Session>(
    () => ({
      whoami,
      error: loaded.error,
      needs: (permission, environment) => missing(whoami, permission, environment),
    }),
    [whoami, loaded.error],
  );
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}

/** The signed-in user and what they may do. */
export function useSession(): Session {
  return useContext(SessionContext);
}
