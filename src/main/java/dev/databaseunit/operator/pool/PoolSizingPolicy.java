package dev.databaseunit.operator.pool;

import java.time.Duration;
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
 *   <li>a cooldown after each step against flapping, asymmetric: a scale-down waits the full cooldown and a full
 *       window, but a scale-up may follow the previous step after the (shorter) scale-up cooldown when every sample
 *       since then had clients queueing and their mean utilisation is above the threshold. A queue costs every
 *       client latency now, while a pool larger than needed costs little (PgBouncer opens server connections only
 *       on demand and closes the unused ones after server_idle_timeout), and a flap still needs a scale-down, which
 *       stays slow;</li>
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
    Decision regular = overTheWindow(samples, currentSize, lastStep, settings, now);
    if (regular.direction() == Direction.UP) {
      return regular;
    }
    return scaleUpWhileQueueing(samples, currentSize, lastStep, settings, now).orElse(regular);
  }

  /** The seed's rule over a full smoothing window of samples since the last step, after the cooldown. */
  private static Decision overTheWindow(List<PoolSample> samples, int currentSize, Optional<Instant> lastStep,
      PoolSettings settings, Instant now) {
    List<PoolSample> window = since(samples, now.minus(settings.window()), lastStep, now);
    if (window.isEmpty()) {
      return unchanged(currentSize, 0, "no samples since the last step");
    }
    double utilisation = meanUtilisation(window);
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

  /**
   * +step when the regular rule does not scale up (cooldown, window not full, or the window's mean still low
   * after a sudden rise) and the last scale-up cooldown's samples (at least
   * {@link PoolSettings#samplesPerScaleUp()}, all since the last step) each had clients waiting and their mean
   * utilisation is above the threshold: the previous step did not relieve the queue.
   */
  private static Optional<Decision> scaleUpWhileQueueing(List<PoolSample> samples, int currentSize,
      Optional<Instant> lastStep, PoolSettings settings, Instant now) {
    if (currentSize >= settings.maxSize()
        || lastStep.isPresent() && now.isBefore(lastStep.get().plus(settings.scaleUpCooldown()))) {
      return Optional.empty();
    }
    List<PoolSample> recent = since(samples, now.minus(settings.scaleUpCooldown()), lastStep, now);
    if (recent.size() < settings.samplesPerScaleUp() || !recent.stream().allMatch(s -> s.clientsWaiting() > 0)) {
      return Optional.empty();
    }
    double utilisation = meanUtilisation(recent);
    if (utilisation <= settings.scaleUpThreshold()) {
      return Optional.empty();
    }
    double waiting = recent.stream().mapToInt(PoolSample::clientsWaiting).average().orElse(0);
    return Optional.of(new Decision(Math.min(settings.maxSize(), currentSize + settings.scaleUpStep()), Direction.UP,
        utilisation, String.format(Locale.ROOT, "utilisation %.2f over %s, %.1f clients waiting in every sample",
            utilisation, PoolSettings.format(settings.scaleUpCooldown()), waiting)));
  }

  /**
   * Whether the loop, woken up every {@link PoolSettings#loopPeriod()}, samples now: a sample interval after the
   * previous sample (within half a wake-up period, as wake-ups drift late), or at every wake-up while the previous
   * sample had clients queueing and the pool could still grow, so that the sampling cadence does not hold back a
   * quick scale-up. Steady load is sampled, and the admin console logged into, only every sample interval.
   */
  public static boolean sampleDue(Optional<PoolSample> previous, PoolSettings settings, Instant now) {
    if (previous.isEmpty()) {
      return true;
    }
    PoolSample last = previous.get();
    if (last.clientsWaiting() > 0 && last.poolSize() < settings.maxSize()) {
      return true;
    }
    Duration halfPeriod = settings.loopPeriod().dividedBy(2);
    return !now.plus(halfPeriod).isBefore(last.at().plus(settings.sampleInterval()));
  }

  /** The samples taken in [from, now] and after the last step (a step changes what the samples mean). */
  private static List<PoolSample> since(List<PoolSample> samples, Instant from, Optional<Instant> lastStep, Instant now) {
    return samples.stream()
        .filter(s -> !s.at().isBefore(from) && !s.at().isAfter(now))
        .filter(s -> lastStep.isEmpty() || s.at().isAfter(lastStep.get()))
        .toList();
  }

  /** Rounded so that an exact threshold (8 of 10 = 0.8) is not pushed over it by floating-point error. */
  private static double meanUtilisation(List<PoolSample> samples) {
    return Math.round(samples.stream().mapToDouble(PoolSample::utilisation).average().orElse(0) * 1e6) / 1e6;
  }

  private static Decision unchanged(int size, double utilisation, String reason) {
    return new Decision(size, Direction.NONE, utilisation, reason);
  }
}
