package dev.databaseunit.operator.storage;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Instant;
import java.util.List;

/** The few object-storage operations backups need; {@link S3ObjectStore} is the implementation. */
public interface ObjectStore extends AutoCloseable {

  record StoredObject(String key, long size, Instant lastModified) {}

  /** A streamed upload: {@link #close()} completes it; {@link #abort()} discards every byte written so far. */
  abstract class Upload extends OutputStream {
    public abstract void abort();
  }

  /** Starts a streamed upload of any length in constant memory; the object appears only when it is closed. */
  Upload create(String key) throws IOException;

  void put(String key, byte[] content) throws IOException;

  InputStream open(String key) throws IOException;

  byte[] get(String key) throws IOException;

  /** Objects under a prefix, in key order. */
  List<StoredObject> list(String prefix) throws IOException;

  void delete(String key) throws IOException;

  /** Keys of multipart uploads started under a prefix and never completed nor aborted (a crashed operator's). */
  List<String> unfinishedUploads(String prefix) throws IOException;

  /** Aborts multipart uploads left unfinished under a prefix, releasing their parts. */
  void abortUnfinishedUploads(String prefix) throws IOException;

  /** Where the objects live, for messages: endpoint and bucket, never credentials. */
  String describe();

  @Override
  void close();
}
