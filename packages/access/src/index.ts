export {
  agentKey,
  controlSigningKeys,
  deriveKey,
  type KeyPurpose,
  publicKeyFromText,
  type SigningKeys,
} from './keys.js';
export { maskSecrets } from './mask.js';
export {
  generatePassword,
  hashPassword,
  MAX_PASSWORD_LENGTH,
  MIN_PASSWORD_LENGTH,
  passwordProblem,
  verifyPassword,
} from './passwords.js';
export { open, seal } from './secret-box.js';
export { hmac, hmacMatches, signatureMatches, signText } from './signatures.js';
export { hashSecret, isSecret, newSecret, type SecretKind } from './tokens.js';
