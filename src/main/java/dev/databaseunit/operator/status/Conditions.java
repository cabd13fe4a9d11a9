package dev.databaseunit.operator.status;

import dev.databaseunit.operator.events.EventReason;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Kubernetes-convention conditions: one entry per type, CamelCase reasons, observedGeneration on each, and a
 * lastTransitionTime that moves only when the status itself flips (not when the reason or message changes).
 *
 * <p>Every merge also derives the two abnormal-true conditions that kstatus (Flux, kpt, cli-utils) reads, so no
 * reconciler has to: {@code Stalled=True} when the resource is Degraded for a reason that waits for a person (see
 * {@link EventReason#retried()}), which kstatus reports as Failed; otherwise {@code Reconciling=True} while it is not
 * Ready (InProgress); both False once it is Ready (Current). Work a Ready resource does on its own schedule (a backup, a
 * maintenance run) is Progressing but not Reconciling: the resource itself is where its spec wants it.
 */
public final class Conditions {
  public static final String READY = "Ready";
  public static final String DEGRADED = "Degraded";
  public static final String PROGRESSING = "Progressing";
  public static final String RECONCILING = "Reconciling";
  public static final String STALLED = "Stalled";

  private Conditions() {}

  /** One desired condition, before it is merged with what the status already holds. */
  public record Desired(String type, boolean status, String reason, String message) {}

  /**
   * Merges the desired conditions into the existing list, keeping conditions of other types untouched, then derives
   * Reconciling and Stalled from the result.
   */
  public static List<Condition> merge(List<Condition> existing, List<Desired> desired, long generation, Instant now) {
    List<Condition> merged = apply(existing, desired, generation, now);
    return apply(merged, kstatus(merged), generation, now);
  }

  /** Reconciling and Stalled as kstatus reads them, from Ready and Degraded. */
  static List<Desired> kstatus(List<Condition> conditions) {
    Condition degraded = find(conditions, DEGRADED);
    boolean stalled = isTrue(conditions, DEGRADED) && !retried(degraded.getReason());
    boolean reconciling = !stalled && !isTrue(conditions, READY);
    // What the resource is busy with: the work in progress, else why it is not Ready (a problem being retried).
    Condition why = isTrue(conditions, PROGRESSING) ? find(conditions, PROGRESSING) : find(conditions, READY);
    return List.of(
        stalled
            ? new Desired(STALLED, true, degraded.getReason(), degraded.getMessage())
            : new Desired(STALLED, false, "AsExpected", "Nothing waits for a change"),
        reconciling
            ? new Desired(RECONCILING, true, why != null ? why.getReason() : "Reconciling",
                why != null ? why.getMessage() : "Not reconciled yet")
            : new Desired(RECONCILING, false, stalled ? "Stalled" : "Reconciled",
                stalled ? "Waits for a change (see Stalled)" : "Nothing to do"));
  }

  /** A reason the operator retries by itself; a reason that is not an EventReason never stalls. */
  private static boolean retried(String reason) {
    return Arrays.stream(EventReason.values()).filter(r -> r.name().equals(reason)).findFirst().map(EventReason::retried).orElse(true);
  }

  private static List<Condition> apply(List<Condition> existing, List<Desired> desired, long generation, Instant now) {
    List<Condition> result = new ArrayList<>(existing == null ? List.of() : existing);
    for (Desired d : desired) {
      Condition previous = find(result, d.type());
      String status = d.status() ? "True" : "False";
      String transition = previous != null && status.equals(previous.getStatus())
          ? previous.getLastTransitionTime()
          : now.truncatedTo(ChronoUnit.SECONDS).toString();
      Condition next = new ConditionBuilder()
          .withType(d.type())
          .withStatus(status)
          .withReason(d.reason())
          .withMessage(d.message())
          .withObservedGeneration(generation)
          .withLastTransitionTime(transition)
          .build();
      if (previous != null) {
        result.set(result.indexOf(previous), next);
      } else {
        result.add(next);
      }
    }
    return List.copyOf(result);
  }

  public static Condition find(List<Condition> conditions, String type) {
    if (conditions == null) {
      return null;
    }
    return conditions.stream().filter(c -> Objects.equals(c.getType(), type)).findFirst().orElse(null);
  }

  public static boolean isTrue(List<Condition> conditions, String type) {
    Condition c = find(conditions, type);
    return c != null && "True".equals(c.getStatus());
  }
}
