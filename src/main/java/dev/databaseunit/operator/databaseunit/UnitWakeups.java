package dev.databaseunit.operator.databaseunit;

import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;

/**
 * How work that runs on its own clock (the pool loop, the cache sampler) asks for a unit to be reconciled: when what it
 * publishes changed, not on a timer. A unit with nothing new is therefore not reconciled at all between resyncs.
 */
public final class UnitWakeups {
  private final SimpleInboundEventSource<DatabaseUnit> source = new SimpleInboundEventSource<>("unit-wakeups");

  /** @param unitKey namespace/name; ignored before the operator has started (the first reconcile reads the state) */
  public void wake(String unitKey) {
    int slash = unitKey.indexOf('/');
    source.propagateEvent(new ResourceID(unitKey.substring(slash + 1), unitKey.substring(0, slash)));
  }

  /** What one loop last told one unit, so it wakes the unit only when it has something else to tell. */
  public <T> Told<T> told(String unitKey) {
    return new Told<>(this, unitKey);
  }

  /** @param <T> what the loop publishes, compared with equals */
  public static final class Told<T> {
    private final UnitWakeups wakeups;
    private final String unitKey;
    private volatile T told;

    private Told(UnitWakeups wakeups, String unitKey) {
      this.wakeups = wakeups;
      this.unitKey = unitKey;
    }

    /** The reconcile has read this. */
    public void read(T value) {
      told = value;
    }

    /** The loop has this now: the unit is woken if it differs from what the unit last read or was woken for. */
    public void offer(T now) {
      if (!now.equals(told)) {
        told = now;
        wakeups.wake(unitKey);
      }
    }
  }

  SimpleInboundEventSource<DatabaseUnit> eventSource() {
    return source;
  }
}
