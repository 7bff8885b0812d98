// eslint-scope ships no types; this is the part of its API the compiler uses.
declare module 'eslint-scope' {
  type Node = { type: string; start: number; end: number; [key: string]: unknown };
  export interface Definition {
    type: 'FunctionName' | 'Variable' | 'Parameter' | 'ImportBinding' | 'ClassName' | string;
    node: Node;
    name: Node;
  }
  export interface Variable {
    name: string;
    defs: Definition[];
    references: Reference[];
  }
  export interface Reference {
    identifier: Node;
    resolved: Variable | null;
    isWrite(): boolean;
    init?: boolean;
  }
  export interface Scope {
    references: Reference[];
    through: Reference[];
    variables: Variable[];
    childScopes: Scope[];
  }
  export interface ScopeManager {
    scopes: Scope[];
    globalScope: Scope;
  }
  export function analyze(
    ast: unknown,
    options?: { ecmaVersion?: number; sourceType?: 'module' | 'script' },
  ): ScopeManager;
}
