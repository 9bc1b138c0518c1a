export { totpSecondFactor } from "./totp-second-factor";
export { MFA_METHODS, type MfaMethod, type TotpSecondFactorOptions } from "./second-factor";
export { pendingMfaLogin, mfaRequired, MAX_MFA_CODE_FAILURES } from "./mfa-login";
export { EMAIL_CODE_TTL_MS, EMAIL_CODE_COOLDOWN_MS, EMAIL_CODE_MAX_TRIES, EMAIL_CODE_ACCOUNT_TRIES, EMAIL_CODE_LOCK_MS, type EmailCodesOptions } from "./email-codes";
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
