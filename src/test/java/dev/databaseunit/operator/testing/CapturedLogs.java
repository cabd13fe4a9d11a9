package dev.databaseunit.operator.testing;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;

/**
 * Captures every log line of the test JVM at every level (DEBUG included) while open, with stack traces, so a
 * test can assert that something never reaches the logs (a password, say).
 */
public final class CapturedLogs implements AutoCloseable {
  private final List<String> lines = new CopyOnWriteArrayList<>();
  private final LoggerContext context = (LoggerContext) LogManager.getContext(false);
  private final Level previousRootLevel;
  private final AbstractAppender appender;

  public CapturedLogs() {
    appender = new AbstractAppender("captured-" + System.identityHashCode(this), null, null, true, Property.EMPTY_ARRAY) {
      @Override
      public void append(LogEvent event) {
        var text = new StringBuilder(event.getLoggerName()).append(' ').append(event.getMessage().getFormattedMessage());
        for (Throwable t = event.getThrown(); t != null; t = t.getCause()) {
          text.append(" | ").append(t);
        }
        lines.add(text.toString());
      }
    };
    appender.start();
    var root = context.getConfiguration().getRootLogger();
    previousRootLevel = root.getLevel();
    root.addAppender(appender, Level.ALL, null);
    root.setLevel(Level.DEBUG);
    context.getConfiguration().getLoggers().values().forEach(l -> l.setLevel(Level.DEBUG));
    context.updateLoggers();
  }

  public List<String> lines() {
    return List.copyOf(lines);
  }

  @Override
  public void close() {
    var root = context.getConfiguration().getRootLogger();
    root.removeAppender(appender.getName());
    root.setLevel(previousRootLevel);
    context.reconfigure();
    appender.stop();
  }
}
