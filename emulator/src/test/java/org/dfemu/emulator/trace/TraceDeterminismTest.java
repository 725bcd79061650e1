package org.dfemu.emulator.trace;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The same records make the same file, byte for byte, whatever the file name or chunk size. */
class TraceDeterminismTest {
    @TempDir
    Path dir;

    @Test
    void sameRecordsGiveIdenticalFiles() throws IOException {
        byte[] first = write(dir.resolve("a.dftrace"), TraceWriter.MIN_CHUNK_BYTES);
        byte[] second = write(dir.resolve("b.dftrace"), TraceWriter.MIN_CHUNK_BYTES);
        byte[] otherChunks = write(dir.resolve("sub-dir-c.dftrace"), TraceWriter.DEFAULT_CHUNK_BYTES);
        assertArrayEquals(first, second);
        assertArrayEquals(first, otherChunks);
    }

    private static byte[] write(Path file, long chunkBytes) throws IOException {
        try (TraceWriter w = TraceWriter.open(file, SampleRecords.NAMES, TraceRoundTripTest.allTypes(), chunkBytes)) {
            SampleRecords.write(w, 2024, 5000);
        }
        return Files.readAllBytes(file);
    }
}
