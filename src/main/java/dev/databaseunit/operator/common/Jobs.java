package dev.databaseunit.operator.common;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one way long work runs off a reconcile thread. A job has a key (an object's uid, a unit's index) and at most
 * one runs per key; jobs of one lane (a unit) run one at a time. The reconcile submits, reads the phase the job
 * reports while it runs, and collects its typed {@link Result} once it ended; a deleted object's jobs are cancelled
 * (interrupted), and {@link #close} stops every job on shutdown. Work that must survive a restart records its own
 * phase in status: a job is only the process-local half.
 */
public final class Jobs implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Jobs.class);

  /** The work of a job; reports its phase through {@code progress}. */
  @FunctionalInterface
  public interface Work<T> {
    T run(Progress progress) throws Exception;
  }

  /** What a running job says it is doing, for status and logs. */
  @FunctionalInterface
  public interface Progress {
    void phase(String phase);
  }

  /** How a job ended. */
  public sealed interface Result<T> {
    record Done<T>(T value) implements Result<T> {}

    record Failed<T>(Throwable error) implements Result<T> {}

    record Cancelled<T>() implements Result<T> {}
  }

  /** A submitted job. */
  public static final class Job<T> {
    private final String key;
    private final Instant submitted;
    private final CompletableFuture<T> done = new CompletableFuture<>();
    private volatile Future<?> task;
    private volatile String phase = "Queued";

    private Job(String key, Instant submitted) {
      this.key = key;
      this.submitted = submitted;
    }

    public String key() {
      return key;
    }

    public Instant submitted() {
      return submitted;
    }

    public String phase() {
      return phase;
    }

    public boolean running() {
      return !done.isDone();
    }

    /** The result once the job ended; empty while it runs. */
    public Optional<Result<T>> result() {
      if (!done.isDone()) {
        return Optional.empty();
      }
      try {
        return Optional.of(new Result.Done<>(done.get()));
      } catch (CancellationException e) {
        return Optional.of(new Result.Cancelled<>());
      } catch (ExecutionException e) {
        return Optional.of(new Result.Failed<>(e.getCause()));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return Optional.empty();
      }
    }

    private void cancel() {
      done.cancel(false);
      Future<?> t = task;
      if (t != null) {
        t.cancel(true);
      }
    }
  }

  private final String name;
  private final Clock clock;
  private final ExecutorService executor;
  private final Map<String, Job<?>> jobs = new ConcurrentHashMap<>();
  private final Map<String, Semaphore> lanes = new ConcurrentHashMap<>();
  private final Semaphore slots;
  private final Duration stopWait;

  /**
   * @param name names the jobs' threads, e.g. "backup"
   * @param parallelism how many jobs run at once; the others wait in phase Queued
   */
  public Jobs(String name, Clock clock, int parallelism) {
    this(name, clock, parallelism, Duration.ofSeconds(5));
  }

  /** @param stopWait how long {@link #close} waits for interrupted jobs to end (work that must clean up on its way out) */
  public Jobs(String name, Clock clock, int parallelism, Duration stopWait) {
    this.name = name;
    this.clock = clock;
    this.stopWait = stopWait;
    this.slots = new Semaphore(parallelism);
    this.executor = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name(name + "-job-", 0).factory());
  }

  /** Starts {@code work} under {@code key} unless a job of that key still runs (then returns that one). */
  public <T> Job<T> submit(String key, Work<T> work) {
    return submit(key, null, work);
  }

  /**
   * As {@link #submit(String, Work)}, run only when no other job of {@code lane} (null: none) is running. The keys of
   * a lane's jobs start with the lane and "/".
   */
  @SuppressWarnings("unchecked")
  public <T> Job<T> submit(String key, String lane, Work<T> work) {
    return (Job<T>) jobs.compute(key, (k, existing) -> {
      if (existing != null && existing.running()) {
        return existing;
      }
      if (lane != null && !k.startsWith(lane + "/")) {
        throw new IllegalArgumentException("job " + k + " is not of lane " + lane);
      }
      Job<T> job = new Job<>(k, clock.instant());
      Semaphore gate = lane == null ? null : lanes.computeIfAbsent(lane, l -> new Semaphore(1));
      job.task = executor.submit(() -> run(job, gate, work));
      return job;
    });
  }

  private <T> void run(Job<T> job, Semaphore gate, Work<T> work) {
    Thread.currentThread().setName(name + "-" + job.key);
    try {
      if (gate != null) {
        gate.acquire();
      }
      try {
        slots.acquire();
        try {
          job.phase = "Running";
          job.done.complete(work.run(phase -> job.phase = phase));
        } finally {
          slots.release();
        }
      } finally {
        if (gate != null) {
          gate.release();
        }
      }
    } catch (InterruptedException e) {
      job.done.cancel(false);
    } catch (Throwable e) {
      job.done.completeExceptionally(e);
    }
  }

  /** The job of {@code key}, running or ended and not yet collected. */
  @SuppressWarnings("unchecked")
  public <T> Optional<Job<T>> find(String key) {
    return Optional.ofNullable((Job<T>) jobs.get(key));
  }

  /** The result of the job of {@code key} if it ended, forgetting the job; empty if none or still running. */
  public <T> Optional<Result<T>> collect(String key) {
    Optional<Job<T>> job = find(key);
    if (job.isEmpty() || job.get().running()) {
      return Optional.empty();
    }
    jobs.remove(key, job.get());
    return job.get().result();
  }

  /** Cancels (interrupts) the job of {@code key} and forgets it. */
  public void cancel(String key) {
    Job<?> job = jobs.remove(key);
    if (job != null) {
      job.cancel();
    }
  }

  /** Cancels every job of {@code lane} (a deleted unit's: their keys start with the lane and "/") and forgets the lane. */
  public void cancelLane(String lane) {
    jobs.keySet().stream().filter(k -> k.startsWith(lane + "/")).toList().forEach(this::cancel);
    lanes.remove(lane);
  }

  /** Interrupts every job and waits up to the stop wait for them to end. */
  @Override
  public void close() {
    jobs.values().forEach(Job::cancel);
    jobs.clear();
    executor.shutdownNow();
    try {
      if (!executor.awaitTermination(stopWait.toMillis(), TimeUnit.MILLISECONDS)) {
        log.warn("{} jobs did not stop within {}; a restarted operator resumes what they left", name, stopWait);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
