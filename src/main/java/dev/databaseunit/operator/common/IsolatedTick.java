package dev.databaseunit.operator.common;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Periodic work of one unit (a pool-loop tick, a metrics sample) as a scheduler runs it: the shared scheduler thread
 * only starts the work on a virtual thread of the unit's own and returns, so a unit whose server hangs holds up its own
 * next ticks (skipped while one still runs) and never another unit's.
 */
public final class IsolatedTick implements Runnable {
  private final String name;
  private final Runnable work;
  private final AtomicBoolean running = new AtomicBoolean();

  public IsolatedTick(String name, Runnable work) {
    this.name = name;
    this.work = work;
  }

  @Override
  public void run() {
    if (!running.compareAndSet(false, true)) {
      return;
    }
    Thread.ofVirtual().name(name).start(() -> {
      try {
        work.run();
      } finally {
        running.set(false);
      }
    });
  }
}
