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

  SimpleInboundEventSource<DatabaseUnit> eventSource() {
    return source;
  }
}
