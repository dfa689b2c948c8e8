using CsvHelper;

namespace Commerce.Catalog.Import;

/// <summary>A data row of an import file: its physical line (the header is line 1) and its fields by column.</summary>
/// <param name="Malformed">Why the row is not the CSV the header promises (a stray quote, a field too many), else null.</param>
public sealed record ImportFileRow(int Line, string[] Fields, string? Malformed);

/// <summary>What a look at a whole file found before it is queued: its data rows, or what is wrong with its header.</summary>
public sealed record ImportFileCheck(int Rows, IReadOnlyDictionary<string, string> HeaderErrors);

/// <summary>
/// The import file: RFC 4180 CSV in UTF-8 with a header row naming its columns (in any order), one row per SKU.
/// Columns left out take their defaults; a column the format does not know is refused, so that a misspelt one
/// cannot silently import nothing.
/// </summary>
public static class CatalogImportFile
{
    public static readonly IReadOnlyList<string> RequiredColumns = ["product_id", "product_title", "sku", "sku_title", "price", "currency"];

    public static readonly IReadOnlyList<string> OptionalColumns = ["description", "brand", "category_id", "attributes", "options", "images", "active"];

    /// <summary>Reads the header and counts the data rows; a file with header errors is not imported at all.</summary>
    public static ImportFileCheck Check(byte[] file)
    {
        var rows = 0;
        var errors = Read(file, out var rowsOfFile);
        if (errors.Count == 0)
        {
            foreach (var _ in rowsOfFile)
            {
                rows++;
            }
        }
        return new ImportFileCheck(rows, errors);
    }

    /// <summary>The data rows of a file whose header <see cref="Check"/> accepted, in order, with its column positions.</summary>
    public static IEnumerable<ImportFileRow> ReadRows(byte[] file, out IReadOnlyDictionary<string, int> columns)
    {
        var errors = Read(file, out var rows, out var found);
        if (errors.Count > 0)
        {
            throw new InvalidDataException("The import file's header is not valid: " + string.Join(" ", errors.Values));
        }
        columns = found;
        return rows;
    }

    private static Dictionary<string, string> Read(byte[] file, out IEnumerable<ImportFileRow> rows) => Read(file, out rows, out _);

    private static Dictionary<string, string> Read(byte[] file, out IEnumerable<ImportFileRow> rows, out IReadOnlyDictionary<string, int> columns)
    {
        (int Line, string Reason)? malformed = null;
        var options = new CsvReaderOptions
        {
            Mode = CsvMode.Rfc4180,
            HasHeader = true,
            SkipEmptyLines = true,
            TrackLineNumbers = true,
            // A stray quote or a missing field spoils its own row only: the row is reported and the file read on.
            MalformedData = CsvMalformedDataHandling.Recover,
            FieldCountMismatch = CsvFieldCountHandling.Allow,
            OnMalformedRecord = bad => malformed = ((int)bad.LineNumber, Explain(bad.Reason)),
        };
        var reader = CsvReader.Create(file, options);
        var (header, errors) = ReadHeader(reader);
        columns = header;
        rows = errors.Count == 0 ? Rows(reader, header.Count, () => malformed) : [];
        if (errors.Count > 0)
        {
            reader.Dispose();
        }
        return errors;
    }

    private static IEnumerable<ImportFileRow> Rows(CsvReader reader, int columns, Func<(int Line, string Reason)?> malformed)
    {
        using (reader)
        {
            while (reader.Read())
            {
                // LineNumber is where the record starts: a quoted field may span lines.
                var line = (int)reader.LineNumber;
                var fields = new string[reader.FieldCount];
                for (var i = 0; i < fields.Length; i++)
                {
                    fields[i] = reader.GetString(i);
                }
                var problem = malformed() is { } bad && bad.Line == line
                    ? bad.Reason
                    : fields.Length == columns ? null : $"The row has {fields.Length} fields; the header names {columns} columns.";
                yield return new ImportFileRow(line, fields, problem);
            }
        }
    }

    private static (Dictionary<string, int> Columns, Dictionary<string, string> Errors) ReadHeader(CsvReader reader)
    {
        var columns = new Dictionary<string, int>(StringComparer.Ordinal);
        var errors = new Dictionary<string, string>(StringComparer.Ordinal);
        reader.ReadHeader();
        if (reader.Headers is not { Count: > 0 } header || header.All(string.IsNullOrWhiteSpace))
        {
            errors["body"] = "The file is empty: it needs a header row naming its columns, then one row per SKU.";
            return (columns, errors);
        }
        for (var i = 0; i < header.Count; i++)
        {
            var name = header[i].Trim();
            if (!RequiredColumns.Contains(name) && !OptionalColumns.Contains(name))
            {
                errors.TryAdd(name is { Length: > 0 and <= 64 } && !name.Contains('\0') ? name : "header",
                    $"'{Shown(name)}' is not a column of the import format ({string.Join(", ", RequiredColumns.Concat(OptionalColumns))}).");
            }
            else if (!columns.TryAdd(name, i))
            {
                errors.TryAdd(name, $"The header names the column '{name}' twice.");
            }
        }
        foreach (var required in RequiredColumns.Where(c => !columns.ContainsKey(c)))
        {
            errors.TryAdd(required, $"The header lacks the required column '{required}'.");
        }
        return (columns, errors);
    }

    private static string Shown(string name) => (name.Length <= 64 ? name : name[..64] + "…").Replace('\0', '?');

    private static string Explain(CsvMalformedReason reason) => reason switch
    {
        CsvMalformedReason.UnterminatedQuote => "The row is not valid CSV: a quoted field is never closed.",
        CsvMalformedReason.TextAfterClosingQuote => "The row is not valid CSV: text follows a closing quote (a quote inside a quoted field is written twice).",
        _ => "The row is not valid CSV: a quote inside a field that is not quoted (quote the field and write the quote twice).",
    };
}
