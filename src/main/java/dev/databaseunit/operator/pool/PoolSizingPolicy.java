package dev.databaseunit.operator.pool;

import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The next pool size, as a pure function of recent samples. The seed's rule (above the scale-up threshold →
 * +step, below the scale-down threshold → −step, within [min, max]) with what a live system needs:
 * <ul>
 *   <li>waiting clients count as demand: utilisation = (sv_active + cl_waiting) / size, so it exceeds 1 while
 *       clients queue instead of saturating at 1;</li>
 *   <li>a smoothing window: the mean over the window, and only once the window is full of samples taken since
 *       the last step (a step changes what the samples mean);</li>
 *   <li>a cooldown after each step against flapping;</li>
 *   <li>clamps to [min, max], applied at once when the size is outside them (spec changed, PgBouncer restarted);</li>
 *   <li>never below the server connections in use during the window: shrinking under them would not close
 *       them, only hide them from the size.</li>
 * </ul>
 */
public final class PoolSizingPolicy {

  public enum Direction { UP, DOWN, NONE }

  /** @param size the size to apply (the current one when direction is NONE) */
  public record Decision(int size, Direction direction, double utilisation, String reason) {
    public boolean changes() {
      return direction != Direction.NONE;
    }
  }

  private PoolSizingPolicy() {}

  /**
   * @param samples recent samples, oldest first (older ones are ignored)
   * @param currentSize the size in force now, as read from PgBouncer
   * @param lastStep when the last step was applied, if any
   */
  public static Decision decide(List<PoolSample> samples, int currentSize, Optional<Instant> lastStep,
      PoolSettings settings, Instant now) {
    if (currentSize < settings.minSize()) {
      return new Decision(settings.minSize(), Direction.UP, 0, "size " + currentSize + " below minSize " + settings.minSize());
    }
    if (currentSize > settings.maxSize()) {
      return new Decision(settings.maxSize(), Direction.DOWN, 0, "size " + currentSize + " above maxSize " + settings.maxSize());
    }
    Instant windowStart = now.minus(settings.window());
    List<PoolSample> window = samples.stream()
        .filter(s -> !s.at().isBefore(windowStart) && !s.at().isAfter(now))
        .filter(s -> lastStep.isEmpty() || s.at().isAfter(lastStep.get()))
        .toList();
    if (window.isEmpty()) {
      return unchanged(currentSize, 0, "no samples since the last step");
    }
    // rounded so that an exact threshold (8 of 10 = 0.8) is not pushed over it by floating-point error
    double utilisation = Math.round(window.stream().mapToDouble(PoolSample::utilisation).average().orElse(0) * 1e6) / 1e6;
    if (lastStep.isPresent() && now.isBefore(lastStep.get().plus(settings.cooldown()))) {
      return unchanged(currentSize, utilisation, "cooling down until " + lastStep.get().plus(settings.cooldown()));
    }
    if (window.size() < settings.samplesPerWindow()) {
      return unchanged(currentSize, utilisation,
          "window not full (" + window.size() + " of " + settings.samplesPerWindow() + " samples)");
    }
    String over = String.format(Locale.ROOT, "utilisation %.2f over %s", utilisation, PoolSettings.format(settings.window()));
    double waiting = window.stream().mapToInt(PoolSample::clientsWaiting).average().orElse(0);
    if (waiting > 0) {
      over += String.format(Locale.ROOT, ", %.1f clients waiting", waiting);
    }
    if (utilisation > settings.scaleUpThreshold()) {
      if (currentSize >= settings.maxSize()) {
        return unchanged(currentSize, utilisation, over + "; at maxSize " + settings.maxSize());
      }
      return new Decision(Math.min(settings.maxSize(), currentSize + settings.scaleUpStep()), Direction.UP, utilisation, over);
    }
    if (utilisation < settings.scaleDownThreshold()) {
      int inUse = window.stream().mapToInt(PoolSample::serversActive).max().orElse(0);
      int target = Math.max(Math.max(settings.minSize(), inUse), currentSize - settings.scaleDownStep());
      if (target >= currentSize) {
        return unchanged(currentSize, utilisation, over + (currentSize <= settings.minSize()
            ? "; at minSize " + settings.minSize() : "; " + inUse + " server connections in use"));
      }
      return new Decision(target, Direction.DOWN, utilisation, over);
    }
    return unchanged(currentSize, utilisation, over + "; within thresholds");
  }

  private static Decision unchanged(int size, double utilisation, String reason) {
    return new Decision(size, Direction.NONE, utilisation, reason);
  }
}
