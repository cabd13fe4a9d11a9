package dev.databaseunit.operator.gdpr;

import java.io.IOException;
import java.io.OutputStream;

/** Where exports are written and later deleted (the unit's export bucket). */
public interface ExportStore extends AutoCloseable {
  /** A stream into a new object; {@link Upload#complete} publishes it, {@link Upload#abort} leaves nothing behind. */
  Upload upload(String key) throws IOException;

  void delete(String key) throws IOException;

  /** A printable address of the object, e.g. {@code s3://bucket/key}. */
  String location(String key);

  @Override
  void close();

  abstract class Upload extends OutputStream {
    public abstract void complete() throws IOException;

    public abstract void abort();
  }
}
