package dev.databaseunit.operator.gdpr;

import java.util.EnumSet;
import java.util.Set;

/**
 * The phase of a GdprRequest, as written to {@code status.phase}. A request that cannot go on keeps its phase and is
 * Degraded (retried with backoff): there is no Failed phase, because a failed export or erasure is never final.
 */
public enum GdprPhase {
  Pending, Running, Completed;

  /** The phases a request may move to from this one. */
  public Set<GdprPhase> next() {
    return switch (this) {
      // Pending → Pending: a request that cannot start yet (Degraded) waits.
      case Pending -> EnumSet.of(Pending, Running);
      // Running → Running: a run interrupted (rolled back) or failed is started again.
      case Running -> EnumSet.of(Running, Completed);
      // A completed request is never run again; only its export's expiry changes its status.
      case Completed -> EnumSet.of(Completed);
    };
  }

  public boolean canMoveTo(GdprPhase target) {
    return next().contains(target);
  }

  /** The phase of a status string; Pending for none. */
  public static GdprPhase of(String name) {
    if (name == null) {
      return Pending;
    }
    return valueOf(name);
  }
}
