package dev.databaseunit.operator.pool;

/** The admin console could not be used; {@link #kind()} says why, so callers can report a typed reason. */
public final class PgBouncerAdminException extends RuntimeException {

  public enum Kind {
    /** No TCP connection, or the connection broke. */
    UNREACHABLE,
    /** PgBouncer refused the admin user or password. */
    AUTHENTICATION_FAILED,
    /** The console rejected a command. */
    COMMAND_FAILED
  }

  private final Kind kind;

  public PgBouncerAdminException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  public PgBouncerAdminException(Kind kind, String message) {
    this(kind, message, null);
  }

  public Kind kind() {
    return kind;
  }
}
