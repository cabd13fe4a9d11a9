package dev.databaseunit.operator.backup;

import dev.databaseunit.operator.storage.ObjectStore;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.Predicate;

/**
 * An object store in memory, for the decisions around stored backups (retention, rotation, copies, prefixes) without
 * a server: keys in order, uploads that appear when closed, and writes that can be made to fail.
 */
final class InMemoryObjectStore implements ObjectStore {
  private final String name;
  private final Map<String, byte[]> objects = new ConcurrentSkipListMap<>();
  private volatile Predicate<String> failingWrites = key -> false;
  private volatile int failingReadsAfter = -1;

  InMemoryObjectStore(String name) {
    this.name = name;
  }

  /** From now on, writes and deletes of matching keys fail as an unreachable store's would. */
  void failWrites(Predicate<String> keys) {
    failingWrites = keys;
  }

  /** From now on, reading an object fails as a dropped connection would, after the first {@code bytes}. */
  void failReadsAfter(int bytes) {
    failingReadsAfter = bytes;
  }

  Map<String, byte[]> objects() {
    return objects;
  }

  private void checkWritable(String key) throws IOException {
    if (failingWrites.test(key)) {
      throw new IOException("Cannot write " + key + " at " + describe() + ": injected failure");
    }
  }

  @Override
  public Upload create(String key) throws IOException {
    checkWritable(key);
    var buffer = new ByteArrayOutputStream();
    return new Upload() {
      private boolean aborted;

      @Override
      public void write(int b) {
        buffer.write(b);
      }

      @Override
      public void write(byte[] b, int off, int len) {
        buffer.write(b, off, len);
      }

      @Override
      public void close() {
        if (!aborted) {
          objects.put(key, buffer.toByteArray());
        }
      }

      @Override
      public void abort() {
        aborted = true;
      }
    };
  }

  @Override
  public void put(String key, byte[] content) throws IOException {
    checkWritable(key);
    objects.put(key, content.clone());
  }

  @Override
  public InputStream open(String key) throws IOException {
    byte[] content = get(key);
    int readable = failingReadsAfter;
    if (readable < 0) {
      return new ByteArrayInputStream(content);
    }
    var head = new ByteArrayInputStream(content, 0, Math.min(readable, content.length));
    return new SequenceInputStream(head, new InputStream() {
      @Override
      public int read() throws IOException {
        throw new IOException("Reading " + key + " at " + describe() + ": injected failure");
      }
    });
  }

  @Override
  public byte[] get(String key) throws IOException {
    byte[] content = objects.get(key);
    if (content == null) {
      throw new FileNotFoundException(describe() + "/" + key + " does not exist");
    }
    return content.clone();
  }

  @Override
  public List<StoredObject> list(String prefix) {
    return objects.entrySet().stream().filter(e -> e.getKey().startsWith(prefix))
        .map(e -> new StoredObject(e.getKey(), e.getValue().length, Instant.EPOCH)).toList();
  }

  @Override
  public void delete(String key) throws IOException {
    checkWritable(key);
    objects.remove(key);
  }

  @Override
  public List<String> unfinishedUploads(String prefix) {
    return List.of();
  }

  @Override
  public void abortUnfinishedUploads(String prefix) {}

  @Override
  public String describe() {
    return "memory://" + name;
  }

  @Override
  public void close() {}
}
