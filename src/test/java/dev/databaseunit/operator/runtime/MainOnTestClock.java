package dev.databaseunit.operator.runtime;

import dev.databaseunit.operator.Main;
import dev.databaseunit.operator.testing.TestClock;

/** {@link Main} as a test runs it in a JVM of its own: the same process, on {@link TestClock}. */
public final class MainOnTestClock {
  private MainOnTestClock() {}

  public static void main(String[] args) throws Exception {
    Main.run(System.getenv(), TestClock.startingNow());
  }
}
