export { totpSecondFactor } from "./totp-second-factor";
export type { TotpSecondFactorOptions } from "./second-factor";
export { pendingMfaLogin, mfaRequired, MAX_MFA_CODE_FAILURES, MFA_METHODS } from "./mfa-login";
export {
  AUTHENTICATOR_TOTP,
  TOTP_CODE,
  TOTP_SKEW_STEPS,
  totpCode,
  verifyTotpCode,
  verifyTotp,
  newTotpSecret,
  totpUri,
  type TotpParameters,
} from "./totp";
export { SecretBox, deriveKey, type MfaEncryptionKey } from "./secret-box";
export { RECOVERY_CODE_COUNT, normalizeRecoveryCode, newRecoveryCodes, RecoveryCodeHasher } from "./recovery-codes";
