package org.dfemu.kernel;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.SequenceLayout;
import java.util.List;
import java.util.Locale;

/**
 * (dfemu only) The kernel's symbol table: what {@code nm kernel} would list for the data
 * segment, recorded by {@link DataSegment} as the classes lay out their globals. Reports use it
 * to print a kernel address as {@code symbol+offset} ({@code vmstats.v_free_count},
 * {@code vm_pages_needed}), as ddb's {@code db_printsym} does. Immutable.
 *
 * <p>Naming: a struct layout named {@code *_globals} is one C file's globals, so each member is
 * a symbol of its own; any other named layout is one variable named after it (members follow a
 * dot, array elements an index); an allocation given an explicit name carries that name.
 */
public final class KernelSymbols {
    /** One data-segment allocation. */
    public record Symbol(long va, long size, String name, MemoryLayout layout) {}

    private final List<Symbol> symbols;

    KernelSymbols(List<Symbol> symbols) {
        this.symbols = List.copyOf(symbols);
    }

    /** Every allocation in address order. */
    public List<Symbol> symbols() { return symbols; }

    /**
     * {@code va} as {@code name}, {@code name.member}, {@code name[i].member+off}; null if it is
     * not in the data segment. No requirements.
     */
    public String lookup(long va) {
        int lo = 0;
        int hi = symbols.size() - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            Symbol s = symbols.get(mid);
            if (va < s.va()) {
                hi = mid - 1;
            } else if (va >= s.va() + Math.max(s.size(), 1)) {
                lo = mid + 1;
            } else {
                return describe(s, va - s.va());
            }
        }
        return null;
    }

    private static String describe(Symbol s, long off) {
        MemoryLayout l = s.layout();
        if (l instanceof GroupLayout g && s.name() == null && l.name().orElse("").endsWith("_globals")) {
            return path(null, g, off);
        }
        String base = s.name() != null ? s.name() : l != null ? l.name().orElse("?") : "?";
        return l == null ? plus(base, off) : path(base, l, off);
    }

    /** The member path of {@code off} inside {@code l}, under {@code prefix} (null: none). */
    private static String path(String prefix, MemoryLayout l, long off) {
        if (l instanceof GroupLayout g) {
            long at = 0;
            for (MemoryLayout m : g.memberLayouts()) {
                long start = g instanceof java.lang.foreign.UnionLayout ? 0 : at;
                if (off >= start && off < start + m.byteSize() && m.name().isPresent()) {
                    String name = m.name().get();
                    return path(prefix == null ? name : prefix + "." + name, m, off - start);
                }
                at += m.byteSize();
            }
        } else if (l instanceof SequenceLayout seq && seq.elementLayout().byteSize() > 0) {
            long size = seq.elementLayout().byteSize();
            String p = (prefix == null ? "?" : prefix) + "[" + off / size + "]";
            return path(p, seq.elementLayout(), off % size);
        }
        return plus(prefix == null ? "?" : prefix, off);
    }

    private static String plus(String name, long off) {
        return off == 0 ? name : name + String.format(Locale.ROOT, "+0x%x", off);
    }
}
