import * as approvals from './approvals.js';
import * as audit from './audit.js';
import type { Db } from './db.js';
import * as agents from './enrolled-agents.js';
import type { ApprovalSubject } from './schema.js';
import * as secrets from './secrets.js';
import * as sessions from './sessions.js';
import * as tokens from './tokens.js';
import * as users from './users.js';

/**
 * Who may do what, as stored: users, API tokens and sessions (hashes only), the audit log,
 * approvals, enrolled agents and sealed environment secrets. Cryptography stays with the
 * caller (@loadline/access): nothing here sees a password, a token or a secret value.
 */
export class AccessStore {
  constructor(private readonly db: Db) {}

  // Users
  putUser(input: users.PutUserInput) {
    return users.putUser(this.db, input);
  }
  getUser(name: string) {
    return users.getUser(this.db, name);
  }
  findUser(name: string) {
    return users.findUser(this.db, name);
  }
  findUserById(id: string) {
    return users.findUserById(this.db, id);
  }
  insertUser(input: users.PutUserInput) {
    return users.insertUser(this.db, input);
  }
  listUsers() {
    return users.listUsers(this.db);
  }
  countUsers() {
    return users.countUsers(this.db);
  }
  recordSignIn(userId: string) {
    return users.recordSignIn(this.db, userId);
  }
  setPassword(userId: string, passwordHash: string) {
    return users.setPassword(this.db, userId, passwordHash);
  }
  upsertSsoUser(input: users.SsoUserInput) {
    return users.upsertSsoUser(this.db, input);
  }

  // API tokens
  createToken(input: tokens.CreateTokenInput) {
    return tokens.createToken(this.db, input);
  }
  findLiveToken(hash: string) {
    return tokens.findLiveToken(this.db, hash);
  }
  touchToken(id: string) {
    return tokens.touchToken(this.db, id);
  }
  listTokens(userId?: string) {
    return tokens.listTokens(this.db, userId);
  }
  getToken(id: string) {
    return tokens.getToken(this.db, id);
  }
  revokeToken(id: string) {
    return tokens.revokeToken(this.db, id);
  }
  revokeTokensNamed(name: string, userId: string) {
    return tokens.revokeTokensNamed(this.db, name, userId);
  }

  // Console sessions and single sign-on logins under way
  createSession(input: Parameters<typeof sessions.createSession>[1]) {
    return sessions.createSession(this.db, input);
  }
  findLiveSession(hash: string, idleMs: number) {
    return sessions.findLiveSession(this.db, hash, idleMs);
  }
  deleteSession(hash: string) {
    return sessions.deleteSession(this.db, hash);
  }
  deleteSessionsOf(userId: string, keep?: string) {
    return sessions.deleteSessionsOf(this.db, userId, keep);
  }
  pruneSessions() {
    return sessions.pruneSessions(this.db);
  }
  saveOidcLogin(input: Parameters<typeof sessions.saveOidcLogin>[1]) {
    return sessions.saveOidcLogin(this.db, input);
  }
  takeOidcLogin(stateHash: string) {
    return sessions.takeOidcLogin(this.db, stateHash);
  }

  // The audit log
  appendAudit(input: audit.AuditInput) {
    return audit.appendAudit(this.db, input);
  }
  listAudit(query: audit.AuditQuery = {}) {
    return audit.listAudit(this.db, query);
  }

  // Approvals (four eyes)
  requestApproval(input: Parameters<typeof approvals.requestApproval>[1]) {
    return approvals.requestApproval(this.db, input);
  }
  getApproval(subjectKind: ApprovalSubject, subjectId: string) {
    return approvals.getApproval(this.db, subjectKind, subjectId);
  }
  approvalsOf(subjectKind: ApprovalSubject, subjectIds: readonly string[]) {
    return approvals.approvalsOf(this.db, subjectKind, subjectIds);
  }
  decideApproval(input: Parameters<typeof approvals.decideApproval>[1]) {
    return approvals.decideApproval(this.db, input);
  }
  expireApprovals() {
    return approvals.expireApprovals(this.db);
  }

  // Enrolled agents
  enrollAgent(input: Parameters<typeof agents.enrollAgent>[1]) {
    return agents.enrollAgent(this.db, input);
  }
  findEnrolledAgent(id: string) {
    return agents.findEnrolledAgent(this.db, id);
  }
  listEnrolledAgents() {
    return agents.listEnrolledAgents(this.db);
  }
  revokeAgent(id: string) {
    return agents.revokeAgent(this.db, id);
  }

  // Environment secrets (sealed)
  putSecret(input: Parameters<typeof secrets.putSecret>[1]) {
    return secrets.putSecret(this.db, input);
  }
  listSecrets(environment: string) {
    return secrets.listSecrets(this.db, environment);
  }
  deleteSecret(environment: string, name: string) {
    return secrets.deleteSecret(this.db, environment, name);
  }
}
