// Campaign results as JSON (rates, 95% intervals, breakdowns per layer, bit and image), per-site
// CSV, checkpoints, and the merge of shard results (exactly the single-run counts).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "hardy/fault/campaign.h"

namespace hardy::fault {

/// What a report needs besides the counts: resolved options, layers (names, words, channels,
/// bits), image indices, fault and chunk totals, the fingerprint. Stored as "campaign" in results.
nlohmann::json describe_campaign(const Campaign& campaign);

/// The result document: totals, critical-SDC rate and its 95% interval (Wilson for statistical
/// samples; over images for exhaustive campaigns; over trials for BER), per_layer, per_bit,
/// per_trial, accuracy under faults, the counts themselves ("counts", for merge), and `campaign`.
/// `complete` says whether every chunk of the campaign is in the counts.
nlohmann::json campaign_report(const nlohmann::json& campaign, const CampaignCounts& counts,
                               double seconds);

nlohmann::json counts_to_json(const CampaignCounts& counts);
/// Throws FormatError naming `source` when the arrays are missing or malformed.
CampaignCounts counts_from_json(const nlohmann::json& j, const std::string& source);

/// One row per selected word: layer, word, channel, faults and outcome counts, critical rate.
void write_site_csv(const std::string& path, const nlohmann::json& campaign,
                    const CampaignCounts& counts);

/// Merges shard results (documents from campaign_report) of one campaign. Throws ConfigError when
/// they come from different campaigns, overlap, or (unless allow_partial) leave chunks undone.
nlohmann::json merge_results(const std::vector<nlohmann::json>& results,
                             const std::vector<std::string>& sources);

/// Checkpoints: the counts of the chunks done, tied to the campaign's fingerprint and shard.
/// Written atomically (a kill leaves the old or the new file, never half of one).
void save_checkpoint(const std::string& path, const Campaign& campaign,
                     const CampaignCounts& counts);
/// Throws FormatError for a damaged file and ConfigError for a checkpoint of another campaign.
CampaignCounts load_checkpoint(const std::string& path, const Campaign& campaign);

}  // namespace hardy::fault
