// Per-command energies as DRAMPower's legacy model computes them.
#include "hardy/dram/energy.h"

namespace hardy::dram {
namespace {

// DRAMPower's EnergyDomain::calcTivEnergy: cycles · tCK · I · V.
double tiv_energy_j(double cycles, double current_a, double vdd_v, double tck_s) {
  return cycles * tck_s * current_a * vdd_v;
}

constexpr double kPicojoulesPerJoule = 1e12;

}  // namespace

double act_energy_j(const Rail& rail, const Timing& t) {
  return tiv_energy_j(static_cast<double>(t.ras), rail.idd0_a - rail.idd3n_a, rail.vdd_v,
                      t.tck_s());
}

double pre_energy_j(const Rail& rail, const Timing& t) {
  return tiv_energy_j(static_cast<double>(t.rc - t.ras), rail.idd0_a - rail.idd2n_a, rail.vdd_v,
                      t.tck_s());
}

double read_energy_j(const Rail& rail, const Timing& t, const Organisation& org) {
  return tiv_energy_j(static_cast<double>(org.burst_cycles()), rail.idd4r_a - rail.idd3n_a,
                      rail.vdd_v, t.tck_s());
}

double write_energy_j(const Rail& rail, const Timing& t, const Organisation& org) {
  return tiv_energy_j(static_cast<double>(org.burst_cycles()), rail.idd4w_a - rail.idd3n_a,
                      rail.vdd_v, t.tck_s());
}

double refresh_energy_j(const Rail& rail, const Timing& t) {
  return tiv_energy_j(static_cast<double>(t.rfc), rail.idd5_a - rail.idd3n_a, rail.vdd_v,
                      t.tck_s());
}

double act_standby_power_w(const Rail& rail) { return rail.vdd_v * rail.idd3n_a; }

double pre_standby_power_w(const Rail& rail) { return rail.vdd_v * rail.idd2n_a; }

CommandEnergies command_energies(const MemSpec& spec) {
  CommandEnergies e;
  for (const Rail& rail : spec.rails) {
    e.act_j += act_energy_j(rail, spec.timing);
    e.pre_j += pre_energy_j(rail, spec.timing);
    e.read_j += read_energy_j(rail, spec.timing, spec.org);
    e.write_j += write_energy_j(rail, spec.timing, spec.org);
    e.refresh_j += refresh_energy_j(rail, spec.timing);
    e.act_standby_w += act_standby_power_w(rail);
    e.pre_standby_w += pre_standby_power_w(rail);
  }
  return e;
}

nlohmann::json CommandEnergies::to_json() const {
  return {
      {"act_pj", act_j * kPicojoulesPerJoule},         {"pre_pj", pre_j * kPicojoulesPerJoule},
      {"read_pj", read_j * kPicojoulesPerJoule},       {"write_pj", write_j * kPicojoulesPerJoule},
      {"refresh_pj", refresh_j * kPicojoulesPerJoule}, {"act_standby_mw", act_standby_w * 1e3},
      {"pre_standby_mw", pre_standby_w * 1e3}};
}

EnergyBreakdown& EnergyBreakdown::operator+=(const EnergyBreakdown& o) {
  act_j += o.act_j;
  pre_j += o.pre_j;
  read_j += o.read_j;
  write_j += o.write_j;
  refresh_j += o.refresh_j;
  act_standby_j += o.act_standby_j;
  pre_standby_j += o.pre_standby_j;
  return *this;
}

EnergyBreakdown EnergyBreakdown::operator*(double k) const {
  EnergyBreakdown e = *this;
  e.act_j *= k;
  e.pre_j *= k;
  e.read_j *= k;
  e.write_j *= k;
  e.refresh_j *= k;
  e.act_standby_j *= k;
  e.pre_standby_j *= k;
  return e;
}

nlohmann::json EnergyBreakdown::to_json() const {
  return {{"act_pj", act_j * kPicojoulesPerJoule},
          {"pre_pj", pre_j * kPicojoulesPerJoule},
          {"read_pj", read_j * kPicojoulesPerJoule},
          {"write_pj", write_j * kPicojoulesPerJoule},
          {"refresh_pj", refresh_j * kPicojoulesPerJoule},
          {"act_standby_pj", act_standby_j * kPicojoulesPerJoule},
          {"pre_standby_pj", pre_standby_j * kPicojoulesPerJoule},
          {"command_pj", command_j() * kPicojoulesPerJoule},
          {"background_pj", background_j() * kPicojoulesPerJoule},
          {"total_pj", total_j() * kPicojoulesPerJoule}};
}

}  // namespace hardy::dram
