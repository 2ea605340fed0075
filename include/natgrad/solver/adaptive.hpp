#pragma once
/// @file The adaptive step size of Ranganath, Wang, Blei & Xing, "An Adaptive
/// Learning Rate for Stochastic Variational Inference" (ICML 2013), kept so
/// that a step costs time in the blocks of λ its minibatch touches only.
///
/// With the noisy natural gradient of step t, ĝ_t = η_t + N/|B| · s_t (+ the
/// shifts of a hierarchical prior) − λ_t, over all of λ (an untouched block's
/// is η − λ), and w = 1/τ_t:
///     ḡ ← (1 − w) ḡ + w ĝ_t,   h̄ ← (1 − w) h̄ + w ĝ_tᵀĝ_t,
///     ρ_t = ḡᵀḡ / h̄,           τ_{t+1} = τ_t (1 − ρ_t) + 1.
/// The first step starts the averages from its own minibatch cut into parts
/// (kParts of them, by position in the minibatch, whatever the rank count):
/// each part's gradient x_i estimates ĝ with a minibatch of |B|/parts, so
/// ḡ = x̄ (= ĝ_1), h̄ = |x̄|² + Σ_i |x_i − x̄|² / (parts (parts − 1)) (x̄'s
/// squared norm plus an estimate of its variance), τ_1 = parts: the "few
/// minibatches" of the paper, at no extra cost.
///
/// ḡ is kept as ḡ = U + u·M + r·Q, where λ = B + a·M (GlobalParams), U has
/// the form of B (one block and the tail, the same in every block, or all of
/// λ), u and r are numbers and Q a vector of λ's size that changes where the
/// step's increments e = N/|B| · s (+ shifts) are; ‖M‖², ‖Q‖², MᵀQ and Q's
/// sums over blocks are kept as they change, so that ḡᵀḡ and ĝᵀĝ cost time in
/// the touched blocks (and the tail, and the hierarchical prior's positions).

#include <Eigen/Core>
#include <cstdint>
#include <span>
#include <vector>

#include "natgrad/io/group.hpp"
#include "natgrad/models/global_params.hpp"

namespace natgrad::solver {

/// What a step adds to λ besides its decay (e = N/|B| · s, + shifts): the blocks it touched (increasing),
/// their statistics and the tail's, s, one block after the other, their weight N/|B|, and the
/// hierarchical prior's shifts η(λ) − η at `positions` of every block (shifts[j]: one per block).
struct Increments {
  std::span<const std::int64_t> blocks;
  Eigen::Ref<const Eigen::VectorXd> stats;  ///< blocks.size() blocks, then the tail
  double weight = 1.0;
  std::span<const Eigen::Index> positions;
  std::span<const Eigen::VectorXd> shifts;
};

class AdaptiveStep {
 public:
  /// Parts the first minibatch is cut into to start the averages.
  static constexpr int kParts = 4;

  /// @param lambda λ of the run (its sizes and blocks)
  explicit AdaptiveStep(const models::GlobalParams& lambda);

  /// ρ of the first step from its minibatch's parts (`parts` increments, each with its own weight N/|part|,
  /// over the same blocks; their sum, weighted, is the step's), at λ_t; `toward` is η_t − B_t in compact form.
  double first_rate(const models::GlobalParams& lambda, std::span<const Increments> parts, const Eigen::VectorXd& toward);
  /// ρ_t of a later step from its increments at λ_t (before λ changes).
  double rate(const models::GlobalParams& lambda, const Increments& e, const Eigen::VectorXd& toward);
  /// Before λ decays by (1 − ρ): where the scale a would underflow (GlobalParams folds it into M),
  /// u·M moves into Q first.
  void before_decay(const models::GlobalParams& lambda, double rho);
  /// After λ's update by ρ with the increments `e` (the same as rate's): ḡ in terms of the new M.
  void after_update(const models::GlobalParams& lambda, const Increments& e, double rho);

  double tau() const { return tau_; }
  /// The state, for a checkpoint (/solver/state/adaptive), and back.
  io::Group state() const;
  /// @throws natgrad::Error naming what is missing or of another size
  void restore(const io::Group& state, const models::GlobalParams& lambda);

 private:
  struct Sums {
    double mm = 0.0, qq = 0.0, mq = 0.0;
  };
  /// ‖x‖² of a compact-form vector (one block repeated, then the tail, or all of λ) over all of λ.
  double compact_norm2(const Eigen::VectorXd& x, const models::GlobalParams& lambda) const;
  /// xᵀM (or xᵀQ) of a compact-form x, through the block sums.
  double compact_dot(const Eigen::VectorXd& x, const Eigen::VectorXd& vector, const Eigen::VectorXd& block_sum,
                     const models::GlobalParams& lambda) const;
  /// Calls f(index, c, x) for the entries the increments change, each once, in runs of consecutive
  /// entries (a touched block, the tail, a shift's entry elsewhere): x their increments (statistics and
  /// shifts together), index the first's place in λ, c its place in compact_base's form (within its
  /// block, or in the tail after it).
  template <class F>
  void for_each(const models::GlobalParams& lambda, const Increments& e, F&& f) const;
  /// (1 − w) U + w · toward: U of the new average.
  Eigen::VectorXd averaged_part(const Eigen::VectorXd& toward, double w) const;
  /// ‖ĝ‖² and ‖(1 − w) ḡ + w ĝ‖² for the step's increments e, at λ_t, and the changed entries' part of the
  /// kept sums.
  struct Norms {
    double g2 = 0.0;     ///< ‖ĝ‖²
    double avg2 = 0.0;   ///< ‖(1 − w) ḡ + w ĝ‖²
    Sums old;            ///< ‖M‖², ‖Q‖², MᵀQ over the entries the step changes, before it
  };
  Norms norms(const models::GlobalParams& lambda, const Increments& e, const Eigen::VectorXd& toward, double w) const;
  /// Takes the new average's U, u, r (of weight w for the step's gradient), and takes the changed entries
  /// out of the kept sums (after_update puts their new values back).
  void commit(const models::GlobalParams& lambda, const Norms& g, const Eigen::VectorXd& toward, double w);
  /// Recomputes ‖M‖², ‖Q‖², MᵀQ and Q's block sums in full (after a fold).
  void recompute(const models::GlobalParams& lambda);

  double tau_ = 0.0;
  double hbar_ = 0.0;
  double w_ = 0.0;              ///< 1/τ of the step under way
  bool folded_ = false;         ///< GlobalParams folds its scale in the step under way
  Eigen::VectorXd u_part_;      ///< U, compact (zero unless the prior moves)
  double u_ = 0.0;
  double r_ = 1.0;
  Eigen::VectorXd q_;           ///< Q, n entries
  Eigen::VectorXd q_block_sum_; ///< Σ over blocks of Q
  Sums sums_;                   ///< ‖M‖², ‖Q‖², MᵀQ
};

}  // namespace natgrad::solver
