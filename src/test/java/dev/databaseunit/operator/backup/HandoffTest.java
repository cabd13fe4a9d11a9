package dev.databaseunit.operator.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class HandoffTest {
  /** Downstream that records what reaches it, on which thread, and whether it was closed or interrupted. */
  private static class Sink extends OutputStream {
    final ByteArrayOutputStream content = new ByteArrayOutputStream();
    final Set<byte[]> arrays = Collections.synchronizedSet(Collections.newSetFromMap(new IdentityHashMap<>()));
    volatile String thread;
    volatile int closes;
    volatile boolean interrupted;

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      arrays.add(b);
      thread = Thread.currentThread().getName();
      content.write(b, off, len);
    }

    int size() {
      return content.size();
    }

    @Override
    public void close() throws IOException {
      closes++;
    }
  }

  /** Downstream whose every write blocks until interrupted: a stalled upload. */
  private static final class Stalled extends Sink {
    final CountDownLatch entered = new CountDownLatch(1);

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      entered.countDown();
      try {
        new CountDownLatch(1).await();
      } catch (InterruptedException e) {
        interrupted = true;
        throw new InterruptedIOException("stalled write interrupted");
      }
    }
  }

  @Test
  void bytesArriveInOrderOnTheStageThreadInABoundedSetOfBlocks() throws IOException {
    var random = new Random(3);
    byte[] data = new byte[300_000];
    random.nextBytes(data);
    var sink = new Sink();
    var stage = new Handoff("stage-under-test", sink, 1000, 2);
    for (int off = 0; off < data.length; ) {
      int n = Math.min(data.length - off, random.nextInt(3000));
      stage.write(data, off, n);
      off += n;
    }
    stage.close();
    assertThat(sink.content.toByteArray()).isEqualTo(data);
    assertThat(sink.thread).isEqualTo("stage-under-test");
    assertThat(sink.closes).isEqualTo(1);
    // depth 2 queued, one being written downstream, one being filled: never more, however long the stream.
    assertThat(sink.arrays).hasSizeLessThanOrEqualTo(4);
    stage.close();
    assertThat(sink.closes).as("a second close is a no-op").isEqualTo(1);
    assertThatThrownBy(() -> stage.write(new byte[1], 0, 1)).hasMessageContaining("closed");
  }

  @Test
  void anEmptyStreamClosesDownstream() throws IOException {
    var sink = new Sink();
    new Handoff("empty", sink, 16, 1).close();
    assertThat(sink.size()).isZero();
    assertThat(sink.closes).isEqualTo(1);
  }

  @Test
  void aDownstreamFailureFailsTheWriterInItsOwnWordsAndNothingIsClosed() {
    var sink = new Sink() {
      int writes;

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        if (++writes == 3) {
          throw new IllegalStateException("zstd context lost");
        }
        super.write(b, off, len);
      }
    };
    var failing = new Sink() {
      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        // An IOException, as an upload raises: its message is the stage's failure.
        throw new IOException("Cannot upload a part of x at s3/bucket: refused");
      }
    };
    var stage = new Handoff("compress", sink, 16, 1);
    assertThatThrownBy(() -> {
      for (int i = 0; i < 1000; i++) {
        stage.write(new byte[16], 0, 16);
      }
      stage.close();
    }).isInstanceOf(IOException.class).hasMessageContaining("compress failed").hasMessageContaining("zstd context lost");
    assertThat(sink.closes).isZero();

    var encrypt = new Handoff("encrypt", failing, 16, 1);
    assertThatThrownBy(() -> {
      encrypt.write(new byte[16], 0, 16);
      encrypt.close();
    }).isInstanceOf(IOException.class).hasMessage("Cannot upload a part of x at s3/bucket: refused");
    assertThat(failing.closes).isZero();
  }

  @Test
  void aFailureClosingDownstreamFailsTheClose() {
    var sink = new Sink() {
      @Override
      public void close() throws IOException {
        throw new IOException("Cannot complete the upload of x");
      }
    };
    var stage = new Handoff("encrypt", sink, 16, 1);
    assertThatThrownBy(() -> {
      stage.write(new byte[40], 0, 40);
      stage.close();
    }).hasMessage("Cannot complete the upload of x");
    assertThat(sink.size()).isEqualTo(40);
  }

  @Test
  void abortStopsAWorkerBlockedDownstreamAndLeavesItUnclosed() throws Exception {
    var sink = new Stalled();
    var stage = new Handoff("stalled", sink, 16, 1);
    stage.write(new byte[16], 0, 16);
    sink.entered.await();
    stage.abort();
    // abort returns only once the worker has ended: its interrupted write is already recorded.
    assertThat(sink.interrupted).isTrue();
    assertThat(sink.closes).isZero();
    assertThatThrownBy(() -> stage.write(new byte[1], 0, 1)).hasMessageContaining("closed");
    stage.abort();
  }

  @Test
  void anInterruptedWriterStopsTheStageToo() throws Exception {
    var sink = new Stalled();
    var stage = new Handoff("stalled", sink, 16, 1);
    var thrown = new AtomicReference<Throwable>();
    Thread writer = Thread.ofPlatform().start(() -> {
      try {
        for (int i = 0; i < 1000; i++) {
          stage.write(new byte[16], 0, 16);
        }
      } catch (IOException e) {
        thrown.set(e);
      }
    });
    // The worker is stuck in its first write and the queue is full: the writer waits for room.
    sink.entered.await();
    await().until(() -> writer.getState() == Thread.State.WAITING);
    writer.interrupt();
    writer.join();
    assertThat(thrown.get()).isInstanceOf(InterruptedIOException.class);
    assertThat(sink.interrupted).isTrue();
    assertThat(sink.closes).isZero();
  }

  @Test
  void aFailedWriterAbortingStopsAnIdleWorker() throws Exception {
    var sink = new Sink();
    var stage = new Handoff("idle", sink, 16, 2);
    stage.write(new byte[20], 0, 20);
    // The writer failed elsewhere (pg_dump exited non-zero): the stage must end without completing downstream.
    stage.abort();
    assertThat(sink.closes).isZero();
    assertThatThrownBy(stage::close).as("nothing completes after an abort").isInstanceOf(IOException.class);
    assertThat(sink.closes).isZero();
  }
}
