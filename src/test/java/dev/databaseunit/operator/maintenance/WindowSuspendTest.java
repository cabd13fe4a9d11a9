package dev.databaseunit.operator.maintenance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.databaseunit.operator.api.v1alpha1.MaintenanceWindow;
import dev.databaseunit.operator.api.v1alpha1.MaintenanceWindowSpec;
import dev.databaseunit.operator.api.v1alpha1.MaintenanceWindowStatus;
import dev.databaseunit.operator.maintenance.WindowSchedule.Window;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** spec.suspend holds a window's schedule (kubectl dbu maintenance pause); runNow, being explicit, still runs. */
class WindowSuspendTest {
  private static final Instant CREATED = Instant.parse("2026-11-01T00:00:00Z");
  private static final Instant IN_WINDOW = Instant.parse("2026-11-08T02:30:00Z"); // a Sunday, 02:30 UTC
  private static final Duration LENGTH = Duration.ofHours(2);

  @Test
  void aSuspendedWindowStartsNoScheduledRunAndARunNowStill() throws Exception {
    var schedule = Optional.of(WindowSchedule.parse("0 2 * * 0", "UTC", LENGTH, CREATED));
    var open = Optional.of(new Window(Instant.parse("2026-11-08T02:00:00Z"), Instant.parse("2026-11-08T04:00:00Z")));

    assertThat(decide(window(false, false), schedule)).isEqualTo(open);
    assertThat(decide(window(false, true), schedule)).isEmpty();
    assertThat(decide(window(true, true), schedule)).contains(new Window(IN_WINDOW, IN_WINDOW.plus(LENGTH)));
  }

  private static Optional<Window> decide(MaintenanceWindow window, Optional<WindowSchedule> schedule) {
    return MaintenanceWindowReconciler.currentWindow(window, MaintenanceWindowStatus.empty(), schedule, LENGTH, CREATED, IN_WINDOW);
  }

  private static MaintenanceWindow window(boolean runNow, boolean suspend) {
    var window = new MaintenanceWindow();
    window.setMetadata(new ObjectMetaBuilder().withName("w").withNamespace("n").withGeneration(1L)
        .withCreationTimestamp(CREATED.toString()).build());
    window.setSpec(new MaintenanceWindowSpec("unit", null, "0 2 * * 0", "UTC", "2h", runNow, null, null, null, null, null, suspend));
    return window;
  }
}
