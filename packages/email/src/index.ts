export { emailFlows } from "./email-flows";
export { LINK_TTL_MS, type EmailFlowsOptions, type EmailLinks } from "./email-flows-options";
export { type SendLimits } from "./send-limits";
export { smtpMailer, type SmtpMailerOptions } from "./smtp-mailer";
export { renderMessage, type MessageContent } from "./email-message";
export { dispatch } from "./delivery";
export {
  type MessageContext,
  passwordResetMessage,
  passwordChangedMessage,
  signUpMessage,
  accountExistsMessage,
  invitationMessage,
  emailChangeMessage,
  emailChangeRequestedMessage,
  emailCodeMessage,
} from "./messages";
export { RESET_REQUESTED } from "./password-reset-routes";
export { SIGN_UP_REQUESTED } from "./sign-up-routes";
