package dev.databaseunit.operator.e2e;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.testcontainers.DockerClientFactory;

/** Runs a cluster test only where a Docker engine answers; elsewhere it is reported as skipped, with the reason. */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(DockerAvailable.Condition.class)
public @interface DockerAvailable {

  final class Condition implements ExecutionCondition {
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
      try {
        if (DockerClientFactory.instance().isDockerAvailable()) {
          return ConditionEvaluationResult.enabled("Docker engine available");
        }
      } catch (RuntimeException e) {
        return ConditionEvaluationResult.disabled("Skipped: no Docker engine reachable (" + e.getMessage()
            + "); k3s e2e tests need one and image access");
      }
      return ConditionEvaluationResult.disabled(
          "Skipped: no Docker engine reachable; k3s e2e tests need one and image access");
    }
  }
}
