# A Football-Online scenario in GRF's / MageBench's file format, written for lmmr1's tests: a counter-attack
# from the half-way line, four attackers against two defenders and a keeper.
import gfootball_engine as libgame

e_PlayerRole_GK = libgame.e_PlayerRole.e_PlayerRole_GK
e_PlayerRole_CB = libgame.e_PlayerRole.e_PlayerRole_CB
e_PlayerRole_CM = libgame.e_PlayerRole.e_PlayerRole_CM
e_PlayerRole_CF = libgame.e_PlayerRole.e_PlayerRole_CF
Team = libgame.e_Team


def build_scenario(builder):
    builder.config().game_duration = 400
    builder.config().deterministic = False
    builder.config().offsides = False
    builder.config().end_episode_on_score = True
    builder.config().end_episode_on_out_of_play = True
    builder.config().end_episode_on_possession_change = True
    builder.config().right_team_difficulty = 0.0
    builder.SetBallPosition(0.02, -0.05)

    builder.SetTeam(Team.e_Left)
    builder.AddPlayer(-0.99, 0.0, e_PlayerRole_GK)
    builder.AddPlayer(0.0, -0.05, e_PlayerRole_CM)
    builder.AddPlayer(0.1, 0.2, e_PlayerRole_CF)
    builder.AddPlayer(0.1, -0.25, e_PlayerRole_CF)

    builder.SetTeam(Team.e_Right)
    # GRF's convention: the right team in its own frame (its goal at x = -1)
    builder.AddPlayer(-0.99, 0.0, e_PlayerRole_GK)
    builder.AddPlayer(-0.55, -0.1, e_PlayerRole_CB)
    builder.AddPlayer(-0.55, 0.15, e_PlayerRole_CB)
