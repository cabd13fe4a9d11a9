package dev.databaseunit.operator.events;

/** Every reason the operator writes on an Event; one enum so reasons stay a closed, documented set. */
public enum EventReason {
  /** A DatabaseUnit's references all resolved and it became Ready. */
  Ready,
  /** A referenced Secret does not exist. */
  SecretNotFound,
  /** A referenced Secret lacks a key the spec names. */
  SecretKeyMissing,
  /** A referenced ConfigMap does not exist. */
  ConfigMapNotFound
}
