package dev.databaseunit.operator.maintenance;

import static dev.databaseunit.operator.api.v1alpha1.MaintenanceWindowSpec.DrainTimeoutAction.ABORT;
import static dev.databaseunit.operator.api.v1alpha1.MaintenanceWindowSpec.DrainTimeoutAction.KILL;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DrainDecisionTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(300);

  @Test
  void anAcknowledgedPauseIsDrainedEvenAtTheTimeout() {
    assertThat(DrainDecision.decide(Duration.ZERO, TIMEOUT, true, KILL)).isEqualTo(DrainDecision.DRAINED);
    assertThat(DrainDecision.decide(TIMEOUT.plusSeconds(1), TIMEOUT, true, ABORT)).isEqualTo(DrainDecision.DRAINED);
  }

  @Test
  void beforeTheTimeoutItWaits() {
    assertThat(DrainDecision.decide(TIMEOUT.minusMillis(1), TIMEOUT, false, KILL)).isEqualTo(DrainDecision.WAIT);
    assertThat(DrainDecision.decide(Duration.ZERO, TIMEOUT, false, ABORT)).isEqualTo(DrainDecision.WAIT);
  }

  @Test
  void atTheTimeoutTheConfiguredActionApplies() {
    assertThat(DrainDecision.decide(TIMEOUT, TIMEOUT, false, KILL)).isEqualTo(DrainDecision.FORCE_CLOSE);
    assertThat(DrainDecision.decide(TIMEOUT, TIMEOUT, false, ABORT)).isEqualTo(DrainDecision.ABORT);
  }
}
