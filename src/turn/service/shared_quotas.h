// Process-wide allocation quotas shared by all worker threads. Touched only when an allocation
// is created or deleted — never on the relay data path — so one mutex is the simple answer.
#pragma once

#include <mutex>
#include <string>
#include <unordered_map>

#include "turn/resources.h"

namespace peerkit::turn {

class SharedQuotas final : public QuotaLedger {
 public:
  SharedQuotas(std::size_t per_user, std::size_t total)
      : per_user_(per_user), total_limit_(total) {}

  QuotaResult acquire(std::string_view user) override {
    std::lock_guard lock(mutex_);
    if (total_limit_ && total_ >= total_limit_) return QuotaResult::kTotalQuota;
    auto& n = users_[std::string(user)];
    if (per_user_ && n >= per_user_) return QuotaResult::kUserQuota;
    ++n;
    ++total_;
    return QuotaResult::kOk;
  }
  void release(std::string_view user) override {
    std::lock_guard lock(mutex_);
    auto it = users_.find(std::string(user));
    if (it == users_.end()) return;
    if (--it->second == 0) users_.erase(it);
    --total_;
  }

 private:
  std::mutex mutex_;
  std::size_t per_user_;
  std::size_t total_limit_;
  std::size_t total_ = 0;
  std::unordered_map<std::string, std::size_t> users_;
};

}  // namespace peerkit::turn
