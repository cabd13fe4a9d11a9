package dev.databaseunit.operator.status;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Kubernetes-convention conditions: one entry per type, CamelCase reasons, observedGeneration on each, and a
 * lastTransitionTime that moves only when the status itself flips (not when the reason or message changes).
 */
public final class Conditions {
  public static final String READY = "Ready";
  public static final String DEGRADED = "Degraded";
  public static final String PROGRESSING = "Progressing";

  private Conditions() {}

  /** One desired condition, before it is merged with what the status already holds. */
  public record Desired(String type, boolean status, String reason, String message) {}

  /** Merges the desired conditions into the existing list, keeping conditions of other types untouched. */
  public static List<Condition> merge(List<Condition> existing, List<Desired> desired, long generation, Instant now) {
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
