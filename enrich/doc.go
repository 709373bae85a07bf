// Package enrich asks outside reputation services about an alert's
// indicators: AbuseIPDB, GreyNoise Community and VirusTotal, each off unless
// its API key is set. Each keeps to its provider's documented free-tier rate
// limit, stops asking after a 429 until its Retry-After, and is wrapped in a
// cache shared by the investigations of the process. The providers
// implement investigate.Provider, which the enrichment step uses.
package enrich
