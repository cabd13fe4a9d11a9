package dev.databaseunit.operator.gdpr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class GdprPhaseTest {

  @Test
  void theTransitionTable() {
    for (GdprPhase from : GdprPhase.values()) {
      for (GdprPhase to : GdprPhase.values()) {
        boolean allowed = switch (from) {
          case Pending -> to != GdprPhase.Completed;
          case Running -> to != GdprPhase.Pending;
          case Completed -> to == GdprPhase.Completed;
        };
        assertThat(from.canMoveTo(to)).as("%s → %s", from, to).isEqualTo(allowed);
      }
    }
  }

  @Test
  void statusNames() {
    assertThat(GdprPhase.of(null)).isEqualTo(GdprPhase.Pending);
    for (GdprPhase p : GdprPhase.values()) {
      assertThat(GdprPhase.of(p.name())).isEqualTo(p);
    }
    assertThatThrownBy(() -> GdprPhase.of("Failed")).isInstanceOf(IllegalArgumentException.class);
  }
}
